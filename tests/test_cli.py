import subprocess
import sys

import matplotlib.dates
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnntutor.baselines import all_baselines
from rnntutor.cli import main
from rnntutor.data import airline_path, load_airline
from rnntutor.metrics import mae, mape, mase, mase_scale, rmse


@pytest.fixture
def airline_with_gaps(tmp_path):
    """The airline CSV with an empty row, a month without a value (1949-11) and a month left out (1949-12):
    the command interpolates both, on the monthly grid, so the season keeps its phase."""
    lines = airline_path().read_text().splitlines()
    assert lines[11].startswith("1949-11") and lines[12].startswith("1949-12")
    lines[11] = "1949-11,"
    del lines[12]
    lines[5:5] = [""]
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_without_dates_rows_are_evenly_spaced_so_a_gap_is_interpolated_in_place(capsys, tmp_path):
    """With --date-column none a missing value keeps its row: it is interpolated between its neighbours
    (not dropped, which would shift the season); missing values at the ends are dropped, and both are said."""
    _, y = load_airline()
    cells = [f"{v:g}" for v in y]
    cells[20] = "NA"
    cells = ["NA", *cells, "null"]
    path = tmp_path / "no_dates.csv"
    path.write_text("passengers\n" + "\n".join(f"{c}," for c in cells) + "\n")
    status, out, err = run(capsys, path, "--column", "0", "--date-column", "none", "--horizon", 2, "--seeds", 1)
    assert status == 0, err
    assert err.splitlines() == [
        f"note: {path}: 2 missing values at the start or end of the series dropped",
        f"note: {path}: 1 missing value (value 22) filled by linear interpolation between their neighbours"]
    assert "144 values" in out
    expected = y.copy()
    expected[20] = (y[19] + y[21]) / 2
    table = {line.split()[0]: line.split() for line in out.split("forecasts from")[0].splitlines()
             if line[:1].isalpha()}
    naive = all_baselines(expected, 101, 12)["seasonal naive"].one_step
    assert float(table["seasonal"][2]) == pytest.approx(rmse(expected[101:], naive), abs=0.006)


@pytest.fixture
def saved_figures(monkeypatch):
    """The figures the command saves, kept for inspection."""
    figures = []
    save = Figure.savefig

    def keep(self, *args, **kwargs):
        figures.append(self)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def run(capsys, *args):
    status = main(["forecast", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_forecast_fills_gaps_scores_origins_and_intervals_and_plots_dates(capsys, airline_with_gaps, tmp_path,
                                                                          saved_figures):
    plot = tmp_path / "forecast.png"
    status, out, err = run(capsys, airline_with_gaps, "--horizon", 3, "--seeds", 3, "--plot", plot)
    assert status == 0
    assert err.splitlines() == [
        f"note: {airline_with_gaps}: 2 missing values (1949-11, 1949-12) filled by linear interpolation between "
        "their neighbours"]
    assert "144 values, 1949-01 to 1960-12" in out
    assert "the last 43 values, 1957-06 to 1960-12" in out
    _, y = load_airline()
    y[10:12] = y[9] + (y[12] - y[9]) * np.array([1, 2]) / 3  # the interpolated months
    table = out.split("forecasts from")[0].splitlines()
    rows = {line.split()[0]: line.split() for line in table if line[:1].isalpha() or line[:1] == "1"}
    expected = all_baselines(y, 101, 12)
    scale = mase_scale(y[:101], 12)
    assert [float(v) for v in rows["SARIMA"][1:5]] == pytest.approx([rmse(y[101:], expected["SARIMA"].one_step),
                                                 mae(y[101:], expected["SARIMA"].one_step),
                                                 mape(y[101:], expected["SARIMA"].one_step),
                                                 mase(y[101:], expected["SARIMA"].one_step, scale)], abs=0.006)
    assert float(rows["LSTM"][1]) < float(rows["naive"][1])
    assert "forecasts from 43 origins of the held-out part (1957-06 to 1960-12), 1 to 3 steps ahead" in out
    rmse_rows = out.split("RMSE by horizon")[1].split("MASE by horizon")[0].splitlines()[2:]
    sarima_h1 = next(line for line in rmse_rows if line.startswith("SARIMA")).split()[1]
    assert float(sarima_h1) == pytest.approx(rmse(y[101:], expected["SARIMA"].one_step), abs=0.006)
    cover = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out.split("interval score (lower is "
             "better)")[1].split("forecast of the next")[0].splitlines()[2:] if line.strip()}
    assert set(cover) == {"LSTM", "SARIMA", "Holt-Winters"}
    assert all(0 <= c[0] <= c[2] <= 1 for c in cover.values())
    future = [line.split() for line in out.splitlines() if line.startswith("1961")]
    assert [row[0] for row in future] == ["1961-01", "1961-02", "1961-03"]
    for row in future:  # date, then for the LSTM and SARIMA: point, 80 % "low to high", 95 % "low to high"
        for first in (1, 8):
            point, low80, high80, low95, high95 = (float(row[first + i]) for i in (0, 1, 3, 4, 6))
            assert low95 <= low80 < point < high80 <= high95
    assert plot.stat().st_size > 10_000 and f"plot written to {plot}" in out
    axis = saved_figures[0].axes[0].xaxis
    assert isinstance(axis.get_major_locator(), matplotlib.dates.DateLocator) and axis.get_label_text() == "date"


def test_rolling_origins_can_be_fewer_or_none_and_show_a_progress_bar_when_many(capsys, monkeypatch):
    import tqdm.auto

    bars = []

    class Bar(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            bars.append(kwargs.get("disable"))
            super().__init__(*args, **{**kwargs, "disable": True})

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    status, out, _ = run(capsys, airline_path(), "--horizon", 2, "--seeds", 2, "--origins", 4)
    assert status == 0 and "forecasts from 4 origins of the held-out part (1957-06 to 1960-12)" in out
    assert bars == [True]  # 4 origins are quick: no bar
    status, out, _ = run(capsys, airline_path(), "--horizon", 2, "--seeds", 2, "--origins", 25)
    assert status == 0 and "forecasts from 25 origins" in out and bars[-1] is None  # a bar on a terminal
    status, out, _ = run(capsys, airline_path(), "--horizon", 2, "--seeds", 2, "--origins", 0)
    assert status == 0 and "origins" not in out and "MASE" in out


def test_plot_is_never_written_over_unless_asked(capsys, tmp_path):
    plot = tmp_path / "mine.png"
    plot.write_bytes(b"keep me")
    status, out, err = run(capsys, airline_path(), "--plot", plot)
    assert status == 2 and out == ""
    assert err == f"rnntutor forecast: error: --plot {plot} exists; pass --overwrite to replace it\n"
    assert plot.read_bytes() == b"keep me"


def test_overwrite_replaces_the_plot_and_a_series_without_dates_or_season_works(capsys, tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "walk.csv"
    path.write_text("value\n" + "\n".join(f"{v:.3f}" for v in 50 + np.cumsum(rng.standard_normal(60))) + "\n")
    plot = tmp_path / "walk.svg"
    plot.write_text("old")
    status, out, err = run(capsys, path, "--column", "value", "--date-column", "none", "--season", "1",
                           "--model", "gru", "--horizon", 2, "--plot", plot, "--overwrite")
    assert status == 0 and err == ""
    assert "step 0 to step 59" in out and "GRU" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("+")] == ["+1", "+2"]
    assert plot.read_text().startswith("<?xml")


def write(tmp_path, content):
    path = tmp_path / "series.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda p: [p / "absent.csv"], "no such file"),
        (lambda p: [airline_path(), "--column", "Pasengers"], "no column 'Pasengers'; the columns are: Month, "),
        (lambda p: [airline_path(), "--column", "7"], "column index 7 is out of range"),
        (lambda p: [write(p, "m,v\n1,2\n2,many\n")], "row 3: column 'v' must hold numbers, found 'many'"),
        (lambda p: [write(p, "m,v\n1,2\n2,inf\n")], "not finite"),
        (lambda p: [write(p, "m,v\n" + "".join(f"{i},{i + 1}\n" for i in range(50)))], "too short"),
        (lambda p: [airline_path(), "--horizon", "0"], "--horizon must be at least 1, got 0"),
        (lambda p: [airline_path(), "--season", "0"], "--season must be at least 1"),
        (lambda p: [airline_path(), "--test-fraction", "1.5"], "--test-fraction must lie between 0 and 1"),
        (lambda p: [airline_path(), "--plot", p / "x.nope"], "unknown figure type 'nope'"),
        (lambda p: [airline_path(), "--plot", p / "no" / "x.png"], "no such directory"),
        (lambda p: [write(p, b"a,b\n1,\xe9\n")], "not a readable CSV text file"),
        (lambda p: [write(p, "d,v\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in (1, 3, 6, 8, 10)))],
         "irregular dates: the step between rows varies from 2 days to 3 days"),
        (lambda p: [write(p, "d,v\n2020-01-03,1\n2020-01-02,2\n2020-01-04,3\n")], "do not increase"),
        (lambda p: [write(p, "d,v\n" + "".join(f"2020-{m:02d}-01,{m}\n" for m in (1, 2, 12)))],
         "more than half of it missing"),
        (lambda p: [airline_path(), "--origins", "-1"], "--origins must be a non-negative int"),
        (lambda p: [airline_path(), "--seeds", "0"], "--seeds must be at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(capsys, tmp_path, make_args, message):
    status, out, err = run(capsys, *make_args(tmp_path))
    assert status == 2
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err
    assert err.startswith("rnntutor forecast: error: ")


@pytest.mark.parametrize("args, message", [
    (["forecast", "x.csv", "--horizon", "soon"], "argument --horizon: invalid int value: 'soon'"),
    (["forecast", "x.csv", "--model", "tcn"], "argument --model: invalid choice: 'tcn'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_argument_errors_are_one_line_and_exit_status_2(capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err


def test_python_dash_m_runs_the_command_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rnntutor", "forecast", str(tmp_path / "absent.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"rnntutor forecast: error: no such file: {tmp_path / 'absent.csv'}\n"
