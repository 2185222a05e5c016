import subprocess
import sys

import numpy as np
import pytest

from rnntutor.baselines import all_baselines
from rnntutor.cli import main
from rnntutor.data import airline_path, load_airline
from rnntutor.metrics import rmse


@pytest.fixture
def airline_with_gaps(tmp_path):
    """The airline CSV with an empty row and a row without a value, which the command must drop."""
    lines = airline_path().read_text().splitlines()
    lines[10:10] = ["", "1949-13,"]
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *args):
    status = main(["forecast", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_forecast_prints_the_table_and_the_forecast_and_writes_the_plot(capsys, airline_with_gaps, tmp_path):
    plot = tmp_path / "forecast.png"
    status, out, err = run(capsys, airline_with_gaps, "--horizon", 3, "--plot", plot)
    assert status == 0
    assert err.splitlines() == [f"note: {airline_with_gaps}: dropped 2 empty rows or rows with no value in "
                                f"column 'Passengers' (rows 11, 12)"]
    assert "144 values, 1949-01 to 1960-12" in out
    assert "the last 43 values, 1957-06 to 1960-12" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isalpha() or line[:1] == "1"}
    _, y = load_airline()
    expected = all_baselines(y, 101, 12)
    assert float(rows["naive"][1]) == pytest.approx(rmse(y[101:], expected["naive"].one_step), abs=0.006)
    assert float(rows["SARIMA"][1]) == pytest.approx(rmse(y[101:], expected["SARIMA"].one_step), abs=0.006)
    assert float(rows["LSTM"][1]) < float(rows["naive"][1])
    assert [key for key in rows if key.startswith("1961")] == ["1961-01", "1961-02", "1961-03"]
    assert plot.stat().st_size > 10_000 and f"plot written to {plot}" in out


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
