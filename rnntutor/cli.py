"""The command line: ``rnntutor forecast FILE.csv`` (or ``python -m rnntutor forecast FILE.csv``).

It forecasts one numeric column of any CSV file as chapter 8 ("Forecasting") does for the airline
series: it holds out the last part of the series, scores a recurrent forecaster there against the
baselines (one-step and multi-step), then trains on the whole series and forecasts the next values.
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
        description="Forecast one numeric column of a CSV file (with a header row). The last part of the "
        "series is held out: the table scores one-step forecasts (from the true values before each) and "
        "multi-step forecasts (from the training part alone) of the network and of the baselines there. "
        "Then the network is trained on the whole series and forecasts the next --horizon values.",
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
    fc.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
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
        "same training text, and print a sample. The last 10 %% of the text is held out.",
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
    for name in ("season", "horizon", "window"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1, got {value}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative int, got {args.seed}")
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
    from .baselines import all_baselines, sarima
    from .forecast import fit_forecaster, min_train_length
    from .metrics import Forecasts, evaluation_table

    _check_options(args)
    date_column = None if args.date_column.lower() == "none" else _column(args.date_column)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dates, y = read_series(args.file, _column(args.column), date_column, drop_missing=True)
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    if not np.all(np.isfinite(y)):
        raise UsageError(f"{args.file}: the column holds a value that is not finite ({y[~np.isfinite(y)][0]})")
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
    label = (lambda i: dates[i]) if dates is not None else (lambda i: f"step {i}")

    import torch

    torch.set_num_threads(1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        methods: dict[str, Forecasts] = all_baselines(y, start, season)
        held_out = fit_forecaster(y[:start], season=season, window=window, cell=args.model, seed=args.seed)
        methods[name] = held_out.forecasts(y, start)
        model = fit_forecaster(y, season=season, window=window, cell=args.model, seed=args.seed)
        future = {name: model.recursive(y, n, args.horizon),
                  "SARIMA": sarima(y, n, season, args.horizon).multi_step}
    for message in dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught):
        print(f"note: {message}", file=sys.stderr)

    print(f"{args.file}: {n} values, {label(0)} to {label(n - 1)}")
    history = held_out.history
    print(f"held out: the last {n_test} values, {label(start)} to {label(n - 1)}; {name} trained on the "
          f"{start} before them (early stopping kept epoch {history.best_epoch + 1} of {history.epochs})")
    print("\nerrors on the held-out values (one-step: from the true values before each; multi-step: from the "
          "training part alone)")
    table = evaluation_table(y[start:], methods).drop(columns=[("one-step", "RMSE sd"),
                                                               ("multi-step", "RMSE sd"), ("", "runs")])
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    future_labels = _future_labels(dates, args.horizon)
    print(f"\nforecast of the next {args.horizon} values ({name} trained on all {n} values)")
    width = max(len(s) for s in future_labels)
    print(f"{'':{width}}  " + "  ".join(f"{key:>10}" for key in future))
    for i, when in enumerate(future_labels):
        print(f"{when:{width}}  " + "  ".join(f"{values[i]:10.2f}" for values in future.values()))
    if args.plot is not None:
        _plot(args, dates, y, start, methods, future, name)
        print(f"\nplot written to {args.plot}")
    return 0


def _regular_dates(dates):
    """The dates as a pandas index with its step inferred (``.freq``), or ``None`` when they do not parse."""
    import pandas as pd

    if dates is None or len(dates) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it has to guess the date format
        try:
            return pd.DatetimeIndex(pd.to_datetime(dates), freq="infer")
        except (ValueError, TypeError, OverflowError):
            return None


def _future_labels(dates, horizon: int) -> list[str]:
    """Labels of the next ``horizon`` steps: dates when the dates are regular, else ``+1, +2, ...``."""
    import pandas as pd

    times = _regular_dates(dates)
    if times is None or times.freq is None:
        return [f"+{h}" for h in range(1, horizon + 1)]
    future = pd.date_range(times[-1], periods=horizon + 1, freq=times.freq)[1:]
    fmt = "%Y-%m" if all(len(d) == 7 for d in dates) else "%Y-%m-%d"
    return [t.strftime(fmt) if (t.hour, t.minute, t.second) == (0, 0, 0) else t.isoformat() for t in future]


def _plot(args, dates, y, start, methods, future, name) -> None:
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from .plots import MODEL_COLORS, apply_style

    apply_style()
    times = _regular_dates(dates)
    x = np.arange(len(y) + args.horizon)
    if times is not None and times.freq is not None:
        x = pd.date_range(times[0], periods=len(y) + args.horizon, freq=times.freq)
    with args.file.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    column = _column(args.column)
    column_name = header[column] if isinstance(column, int) else column
    fig, ax = plt.subplots(figsize=(9, 4))
    n = len(y)
    ax.axvspan(x[start], x[n - 1], color="0.9", label="held out")
    ax.plot(x[:n], y, color="black", lw=1.2, label="series")
    ax.plot(x[start:n], methods[name].multi_step, color=MODEL_COLORS[name], label=f"{name}, multi-step")
    ax.plot(x[start:n], methods["SARIMA"].multi_step, color=MODEL_COLORS["baseline"], ls="--",
            label="SARIMA, multi-step")
    ax.plot(x[n - 1 :], np.r_[y[-1], future[name]], color=MODEL_COLORS[name], ls=":", lw=2,
            label=f"{name}, forecast")
    ax.set(title=f"{args.file.name}: forecasts of the held-out part and beyond",
           xlabel="date" if isinstance(x, pd.DatetimeIndex) else "step", ylabel=column_name)
    ax.legend(loc="upper left")
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
