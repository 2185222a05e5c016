"""The command line: ``rnntutor forecast FILE.csv`` (or ``python -m rnntutor forecast FILE.csv``).

It forecasts one numeric column of any CSV file as chapter 8 ("Forecasting") does for the airline
series: it holds out the last part of the series, scores a recurrent forecaster (several seeds trained
together, their mean) there against the baselines (one-step and multi-step, RMSE, MAE, MAPE and MASE),
scores forecasts from many origins of the held-out part horizon by horizon with their prediction
intervals, then trains on the whole series and forecasts the next values with 80 % and 95 % intervals.
Dates must be regular (monthly, daily, ...); missing values of a regular series are interpolated (without
dates, rows are taken as evenly spaced, so a missing value is interpolated in its row).
``rnntutor student NOTEBOOK... --output DIR`` writes the student version of each notebook: solutions
removed, exercise stubs shown, outputs cleared (see :mod:`rnntutor.student`).
``rnntutor generate FILE.txt`` trains a character-level LSTM on any UTF-8 text, scores it on the text's
held-out end against n-gram baselines, and prints a sample (see :mod:`rnntutor.generate`).

Bad input ends with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from .data import DataError, read_series

EXIT_USAGE = 2
#: Default and most forecast origins of the rolling evaluation; more than :data:`PROGRESS_FROM` show a bar.
MAX_ORIGINS, PROGRESS_FROM = 50, 20
#: Coverage of the prediction intervals.
LEVELS = (0.8, 0.95)
#: Simulated futures per network copy for its intervals.
PATHS_PER_COPY = 40


class UsageError(Exception):
    """Input the command cannot work with; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of the usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rnntutor", description="Recurrent networks from their equations: command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fc = commands.add_parser(
        "forecast",
        help="forecast a column of a CSV file with an LSTM or GRU, scored against baselines",
        description="Forecast one numeric column of a CSV file (with a header row). Dates must be regular; "
        "missing values of a regular series are interpolated (without dates, in their rows). The last part of "
        "the series is held out: the "
        "table scores one-step forecasts (from the true values before each) and multi-step forecasts (from "
        "the training part alone) of the network and of the baselines there (RMSE, MAE, MAPE, MASE); then "
        "forecasts from many origins of the held-out part are scored horizon by horizon, with the coverage "
        "and interval score of their 80 % and 95 % prediction intervals. Last, the network is trained on "
        "the whole series and forecasts the next --horizon values with their intervals.",
    )
    fc.add_argument("file", type=Path, help="CSV file with a header row")
    fc.add_argument("--column", default="1", help="the values: header name or 0-based index (default: 1)")
    fc.add_argument("--date-column", default="0",
                    help="the dates: header name, 0-based index, or 'none' (default: 0)")
    fc.add_argument("--season", type=int, default=12, help="season length in steps, 1 for none (default: 12)")
    fc.add_argument("--horizon", type=int, default=12, help="how many future values to forecast (default: 12)")
    fc.add_argument("--test-fraction", type=float, default=0.3,
                    help="share of the series held out at its end (default: 0.3)")
    fc.add_argument("--model", choices=("lstm", "gru"), default="lstm", help="recurrent cell (default: lstm)")
    fc.add_argument("--window", type=int, default=None, help="look-back window (default: season + 1)")
    fc.add_argument("--seed", type=int, default=0, help="first random seed (default: 0)")
    fc.add_argument("--seeds", type=int, default=5,
                    help="networks trained together, one per seed; the forecast is their mean (default: 5)")
    fc.add_argument("--origins", type=int, default=MAX_ORIGINS,
                    help="forecast origins in the held-out part for the evaluation horizon by horizon, evenly "
                    f"spread, 0 for none (default: every origin, at most {MAX_ORIGINS})")
    fc.add_argument("--plot", type=Path, default=None, help="write a figure to this file (.png, .pdf, .svg)")
    fc.add_argument("--overwrite", action="store_true", help="let --plot replace an existing file")
    fc.set_defaults(run=forecast_command)
    st = commands.add_parser(
        "student",
        help="write student versions of notebooks: solutions removed, outputs cleared",
        description="Write the student version of each notebook to --output, under the same file name: cells "
        "tagged 'solution' and markdown solution directives removed, cells tagged 'skeleton' shown, outputs cleared.",
    )
    st.add_argument("notebooks", nargs="+", type=Path, help="notebooks (.ipynb) with tagged solutions")
    st.add_argument("--output", type=Path, required=True, help="folder for the student notebooks")
    st.set_defaults(run=student_command)
    gen = commands.add_parser(
        "generate",
        help="train a character-level LSTM on a UTF-8 text file and print samples",
        description="Train a character-level LSTM on any UTF-8 text (every character is one token, in any "
        "script), report held-out bits per character against unigram and n-gram baselines counted from the "
        "same training text, and print a sample. The last 10 % of the text is held out.",
    )
    gen.add_argument("file", type=Path, help="UTF-8 text file")
    gen.add_argument("--steps", type=int, default=None,
                     help="training steps (default: 500, or 0 with --load)")
    gen.add_argument("--length", type=int, default=300, help="characters to generate (default: 300)")
    gen.add_argument("--temperature", type=float, default=0.8, help="sampling temperature > 0 (default: 0.8)")
    gen.add_argument("--top-k", type=int, default=None, help="sample from the k likeliest characters only")
    gen.add_argument("--prime", default=None, help="text to start from (default: the file's first character)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    gen.add_argument("--hidden", type=int, default=128, help="LSTM hidden size of a new model (default: 128)")
    gen.add_argument("--scratch", action="store_true",
                     help="run the book's LSTM instead of torch's fused nn.LSTM (the same numbers, slower)")
    gen.add_argument("--save", type=Path, default=None, help="write the trained model to this checkpoint")
    gen.add_argument("--load", type=Path, default=None, help="start from this checkpoint (same vocabulary)")
    gen.add_argument("--overwrite", action="store_true", help="let --save replace an existing file")
    gen.set_defaults(run=generate_command)
    return parser


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, UsageError, ValueError) as exc:
        print(f"rnntutor {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _column(text: str):
    return int(text) if text.isdigit() else text


def _check_options(args) -> None:
    for name in ("season", "horizon", "window", "seeds"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1, got {value}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative int, got {args.seed}")
    if args.origins < 0:
        raise UsageError(f"--origins must be a non-negative int, got {args.origins}")
    if not 0 < args.test_fraction < 1:
        raise UsageError(f"--test-fraction must lie between 0 and 1, got {args.test_fraction}")
    if args.plot is not None:
        from matplotlib.backend_bases import FigureCanvasBase

        kinds = FigureCanvasBase.get_supported_filetypes()
        suffix = args.plot.suffix.lstrip(".").lower()
        if suffix not in kinds:
            raise UsageError(f"--plot {args.plot}: unknown figure type {suffix!r}; use one of .png, .pdf, .svg")
        if args.plot.exists() and not args.overwrite:
            raise UsageError(f"--plot {args.plot} exists; pass --overwrite to replace it")
        if not args.plot.parent.is_dir():
            raise UsageError(f"--plot {args.plot}: no such directory {args.plot.parent}")


def forecast_command(args) -> int:
    from .baselines import all_baselines, sarima_from_origins
    from .forecast import fit_forecasters, min_train_length
    from .metrics import Forecasts, evaluation_table, mase_scale

    _check_options(args)
    date_column = None if args.date_column.lower() == "none" else _column(args.date_column)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dates, y = read_series(args.file, _column(args.column), date_column, missing="keep")
    if np.any(np.isinf(y)):
        raise UsageError(f"{args.file}: the column holds a value that is not finite ({y[np.isinf(y)][0]})")
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    times, y, filled, trimmed = _regular_series(dates, y)
    if trimmed:
        print(f"note: {args.file}: {trimmed} missing value{'s' * (trimmed > 1)} at the start or end of the series "
              "dropped", file=sys.stderr)
    if filled:
        shown = ", ".join(filled[:5]) + (", ..." if len(filled) > 5 else "")
        print(f"note: {args.file}: {len(filled)} missing value{'s' * (len(filled) > 1)} ({shown}) filled by "
              "linear interpolation between their neighbours", file=sys.stderr)
    n, season = len(y), args.season
    window = season + 1 if args.window is None else args.window
    n_test = round(args.test_fraction * n)
    needed = min_train_length(season, window, max(season, 2))
    if n_test < 1 or n - n_test < needed:
        raise UsageError(f"the series has {n} values, too short: season {season} and window {window} need "
                         f"{needed} training values before the test part of {max(n_test, 1)} "
                         f"(--test-fraction {args.test_fraction})")
    start = n - n_test
    name = args.model.upper()
    labels = _labels(times, dates, n, args.horizon)
    seeds = [args.seed + k for k in range(args.seeds)]
    gen = np.random.default_rng(args.seed)

    import torch

    torch.set_num_threads(1)
    settings = dict(season=season, window=window, cell=args.model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        methods: dict[str, Forecasts] = all_baselines(y, start, season)
        held_out = fit_forecasters(y[:start], seeds, **settings)
        runs = held_out.forecasts(y, start)
        methods[name] = Forecasts(np.mean([r.one_step for r in runs], 0), np.mean([r.multi_step for r in runs], 0))
        origins = _origins(start, n, args.origins)
        rolling = _rolling(y, start, season, origins, args.horizon, held_out, name, gen) if len(origins) else None
        model = fit_forecasters(y, seeds, **settings)
        paths = model.sample_paths(y, [n], args.horizon, model.residuals(y), PATHS_PER_COPY, gen)
        future = {name: _intervals(model.from_origins(y, [n], args.horizon).mean(0), paths),
                  "SARIMA": sarima_from_origins(y, n, season, [n], args.horizon)}
    for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        print(f"note: {message}", file=sys.stderr)

    print(f"{args.file}: {n} values, {labels[0]} to {labels[n - 1]}")
    stops = [h.best_epoch + 1 for h in held_out.histories]
    print(f"held out: the last {n_test} values, {labels[start]} to {labels[n - 1]}; {name} trained on the "
          f"{start} before them, {len(seeds)} seed{'s' * (len(seeds) > 1)} (early stopping kept epochs "
          f"{min(stops)} to {max(stops)})")
    print("\nerrors on the held-out values (one-step: from the true values before each; multi-step: from the "
          f"training part alone; {name}: the mean of its seeds; MASE: MAE over the in-sample MAE of the "
          f"{'seasonal ' if season > 1 else ''}naive forecast)")
    scale = _mase_scale(y[:start], season, mase_scale)
    table = evaluation_table(y[start:], methods, scale).drop(columns=[("one-step", "RMSE sd"),
                                                                      ("multi-step", "RMSE sd"), ("", "runs")])
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    if rolling is not None:
        _print_rolling(y, rolling, origins, labels, scale)
    print(f"\nforecast of the next {args.horizon} values with 80 % and 95 % prediction intervals ({name}: mean of "
          f"{len(seeds)} seeds trained on all {n} values, intervals from simulated futures)")
    _print_future(future, labels[n:])
    if args.plot is not None:
        _plot(args, times, y, start, methods, future, name)
        print(f"\nplot written to {args.plot}")
    return 0


def _mase_scale(y_train, season, mase_scale):
    try:
        return mase_scale(y_train, season)
    except ValueError:
        return None


def _origins(start: int, n: int, count: int) -> np.ndarray:
    """At most ``count`` origins of the held-out part, evenly spread from its first value to its last."""
    if count == 0:
        return np.empty(0, dtype=int)
    return np.unique(np.linspace(start, n - 1, min(count, n - start)).round().astype(int))



def _rolling(y, start, season, origins, horizon, fitted, name, gen):
    """Forecasts up to ``horizon`` steps from each origin by the models fitted on ``y[:start]``."""
    from tqdm.auto import tqdm

    from .baselines import holt_winters_from_origins, sarima_from_origins

    with tqdm(total=4, desc=f"forecasts from {len(origins)} origins", disable=None if len(origins) > PROGRESS_FROM
              else True, leave=False, file=sys.stderr) as bar:
        point = fitted.from_origins(y, origins, horizon).mean(0)
        paths = fitted.sample_paths(y, origins, horizon, fitted.residuals(y[:start]), PATHS_PER_COPY, gen)
        result = {name: _intervals(point, paths)}
        bar.update()
        result["SARIMA"] = sarima_from_origins(y, start, season, origins, horizon, LEVELS)
        bar.update()
        if np.all(y > 0):
            result["Holt-Winters"] = holt_winters_from_origins(y, start, season, origins, horizon, gen, LEVELS)
        bar.update()
        result["seasonal naive"] = _intervals(y[origins[:, None] - season + np.arange(horizon) % season], None)
        bar.update()
    return result


def _intervals(point, paths):
    """Point forecasts (origins, horizon) with the 80 % and 95 % intervals of simulated ``paths``, if any."""
    from .evaluation import OriginForecasts, intervals_from_paths

    return OriginForecasts(point, {} if paths is None else intervals_from_paths(paths, LEVELS))


def _print_rolling(y, rolling, origins, labels, scale) -> None:
    from .evaluation import coverage, interval_score, mase_by_horizon, rmse_by_horizon, targets

    horizon = next(iter(rolling.values())).point.shape[1]
    actual = targets(y, origins, horizon)
    print(f"\nforecasts from {len(origins)} origins of the held-out part ({labels[origins[0]]} to "
          f"{labels[origins[-1]]}), 1 to {horizon} steps ahead, by the models fitted before it")
    for metric, by_horizon in [("RMSE", rmse_by_horizon), ("MASE", mase_by_horizon)]:
        if metric == "MASE" and scale is None:
            continue
        extra = () if metric == "RMSE" else (scale,)
        rows = {name: by_horizon(actual, f.point, *extra) for name, f in rolling.items()}
        print(f"{metric} by horizon")
        print(f"{'':15}" + "".join(f"{h:>8}" for h in range(1, horizon + 1)))
        for name, values in rows.items():
            print(f"{name:15}" + "".join(f"{v:8.2f}" for v in values))
    print("prediction intervals over every origin and horizon: coverage (share of values inside) and interval "
          "score (lower is better)")
    print(f"{'':15}" + "".join(f"{f'{level:.0%} cover':>10}{f'{level:.0%} score':>10}" for level in LEVELS))
    for name, f in rolling.items():
        if f.intervals:
            print(f"{name:15}" + "".join(
                f"{coverage(actual, *f.intervals[level]):10.2f}"
                f"{interval_score(actual, *f.intervals[level], alpha=1 - level):10.2f}" for level in LEVELS))


def _print_future(future, labels) -> None:
    width = max(len(s) for s in labels)
    columns = [f"{name} {what}" for name in future for what in ("", "80 %", "95 %")]
    print(f"{'':{width}}  " + "  ".join(f"{c:>20}" for c in columns))
    for i, when in enumerate(labels):
        cells = []
        for f in future.values():
            cells.append(f"{f.point[0, i]:20.2f}")
            for level in LEVELS:
                lower, upper = f.intervals[level]
                cells.append(f"{f'{lower[0, i]:.1f} to {upper[0, i]:.1f}':>20}")
        print(f"{when:{width}}  " + "  ".join(cells))


def _regular_series(dates, y):
    """``(times, y, filled, trimmed)``: the dates as a regular pandas index (``None`` without dates or when
    they are not dates), the values on it with missing ones (NaN, or dates left out) linearly interpolated,
    the labels of those filled, and how many missing values at the start or end were dropped (nothing to
    interpolate them from). Without dates the rows are taken as evenly spaced, and a missing value is
    labelled by its place in the column ("value 5"). Raises :class:`UsageError` for dates that do not
    increase or do not lie on a regular grid."""
    import pandas as pd

    present = np.flatnonzero(~np.isnan(y))
    first, last = present[0], present[-1]
    trimmed = int(first + len(y) - 1 - last)
    y = y[first:last + 1]
    times = _as_dates(None if dates is None else dates[first:last + 1])
    if times is None:
        missing = np.flatnonzero(np.isnan(y))
        return None, pd.Series(y).interpolate().to_numpy(), [f"value {first + i + 1}" for i in missing], trimmed
    dates = dates[first:last + 1][~np.isnan(y)]
    times, y = times[~np.isnan(y)], y[~np.isnan(y)]
    if not times.is_monotonic_increasing or times.has_duplicates:
        raise UsageError("the dates do not increase from row to row; sort the file or pass --date-column none")
    monthly = bool(np.all(times.day == times[0].day) and np.all(times.normalize() == times))
    if monthly and times[0].day <= 28:
        position = np.asarray(times.year * 12 + times.month)
    else:
        position = np.asarray((times - times[0]) // pd.Timedelta(seconds=1), dtype=np.int64)
    gaps = np.diff(position)
    step = int(gaps.min())
    if np.any(gaps % step):
        raise UsageError(f"irregular dates: the step between rows varies from {_step(step, monthly)} to "
                         f"{_step(int(gaps.max()), monthly)}, not a whole number of one step; give a regular series "
                         "or pass --date-column none")
    index = (position - position[0]) // step
    if index[-1] + 1 > 2 * len(y):
        raise UsageError(f"irregular dates: {len(y)} values on a grid of {index[-1] + 1} steps, more than half of "
                         "it missing; give a regular series or pass --date-column none")
    if monthly:
        grid = pd.date_range(times[0], periods=index[-1] + 1, freq=pd.DateOffset(months=step))
    else:
        grid = pd.date_range(times[0], periods=index[-1] + 1, freq=pd.Timedelta(seconds=step))
    full = pd.Series(np.nan, index=np.arange(index[-1] + 1))
    full[index] = y
    missing = np.flatnonzero(full.isna().to_numpy())
    fmt = "%Y-%m" if all(len(d) == 7 for d in dates) else None
    filled = [t.strftime(fmt) if fmt else str(t) for t in grid[missing]]
    return grid, full.interpolate().to_numpy(), filled, trimmed


def _as_dates(dates):
    """The strings ``dates`` as a pandas DatetimeIndex, or None without dates (fewer than 3) or when they
    are not dates."""
    import pandas as pd

    if dates is None or len(dates) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it has to guess the date format
        try:
            return pd.DatetimeIndex(pd.to_datetime(dates))
        except (ValueError, TypeError, OverflowError):
            return None


def _step(size: int, monthly: bool) -> str:
    """A step between dates, in months or seconds, as words."""
    import pandas as pd

    if monthly:
        return f"{size} months"
    return f"{size // 86400} days" if size % 86400 == 0 else str(pd.Timedelta(seconds=size))


def _labels(times, dates, n: int, horizon: int) -> list[str]:
    """Labels of the ``n`` values and the ``horizon`` steps after them: dates on the regular grid, else the
    file's labels or ``step i``, then ``+1, +2, ...``."""
    import pandas as pd

    if times is None:
        known = list(dates) if dates is not None else [f"step {i}" for i in range(n)]
        return known + [f"+{h}" for h in range(1, horizon + 1)]
    grid = pd.date_range(times[0], periods=n + horizon, freq=times.freq)
    fmt = "%Y-%m" if dates is not None and all(len(d) == 7 for d in dates) else "%Y-%m-%d"
    return [t.strftime(fmt) if (t.hour, t.minute, t.second) == (0, 0, 0) else t.isoformat() for t in grid]


def _plot(args, times, y, start, methods, future, name) -> None:
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from .plots import MODEL_COLORS, apply_style

    apply_style()
    n = len(y)
    x = np.arange(n + args.horizon) if times is None else pd.date_range(times[0], periods=n + args.horizon,
                                                                          freq=times.freq)
    with args.file.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    column = _column(args.column)
    column_name = header[column] if isinstance(column, int) else column
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.axvspan(x[start], x[n - 1], color="0.92", label="held out")
    ax.plot(x[:n], y, color="black", lw=1.2, label="series")
    colors = {name: MODEL_COLORS[name], "SARIMA": "#9467bd"}
    ax.plot(x[start:n], methods[name].multi_step, color=colors[name], lw=1, label=f"{name}, from the held-out start")
    ax.plot(x[start:n], methods["SARIMA"].multi_step, color=colors["SARIMA"], ls="--", lw=1,
            label="SARIMA, from the held-out start")
    ahead = x[n:]
    for key, f in future.items():
        lower, upper = f.intervals[0.95]
        ax.fill_between(ahead, lower[0], upper[0], color=colors[key], alpha=0.15, lw=0)
        lower, upper = f.intervals[0.8]
        ax.fill_between(ahead, lower[0], upper[0], color=colors[key], alpha=0.25, lw=0,
                        label=f"{key}, 80 % and 95 % intervals")
        ax.plot(ahead, f.point[0], color=colors[key], lw=2, ls="-" if key == name else "--", label=f"{key}, forecast")
    ax.set(title=f"{args.file.name}: forecasts of the held-out part and beyond",
           xlabel="date" if times is not None else "step", ylabel=column_name)
    ax.legend(loc="upper left", fontsize=9, ncol=2)
    fig.savefig(args.plot)
    plt.close(fig)


def generate_command(args) -> int:
    from .generate import generate_command as run

    return run(args)


def student_command(args) -> int:
    from .student import write_student_notebooks

    for path in write_student_notebooks(args.notebooks, args.output):
        print(path)
    return 0
