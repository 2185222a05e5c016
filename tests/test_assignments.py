"""The graded assignments: otter assign builds a student and an autograder version of each, and grading
without Docker (``otter run``) gives the reference solution full marks, a blank notebook zero, and a
notebook with a typical mistake part of the marks, the same mistake with the comparisons replaced no more;
the student notebook alone, in an empty folder, writes its public tests and runs from the top.

The assignments are built once for the module, and the gradings (four or five per assignment) run three
at a time: each one starts a kernel that imports torch, which is most of its time.
"""

import json
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
OTTER = Path(sys.executable).with_name("otter")
ASSIGNMENTS = sorted(p.stem for p in ROOT.glob("assignments/*/*.ipynb"))

# One typical mistake per assignment: (text of the solution, the mistaken text, questions it costs marks on).
MISTAKES = {
    "rnn_step": ("h = rnn_step(x, h, W_ih", "h = rnn_step(x, h0, W_ih", {"q2"}),  # the state is not carried
    "lstm_step": ("i, f, g, o = (", "i, f, o, g = (", {"q1"}),  # gates in the wrong order (q2 runs with a given step)
    "forecast_baseline": ("return X, series[lookback:]", "return X, series[lookback - 1 : -1]", {"q1"}),  # y off by one
    "gru_step": ("return (1 - z) * n + z * h_prev", "return z * n + (1 - z) * h_prev", {"q1"}),  # z and 1 - z swapped
    # every gradient scaled, also those already within the norm (only the hidden test has one)
    "bptt_clipping": ("scale = torch.clamp(max_norm / total, max=1.0)", "scale = max_norm / total", {"q3"}),
    "text_sampling": ("scores / temperature", "scores * temperature", {"q1"}),  # the temperature multiplied
    # the scale from one step back instead of one season
    "forecast_evaluation": ("train[season:] - train[:-season]", "train[1:] - train[:-1]", {"q1"}),
    "window_model": ("torch.cat([zeros, x], dim=1)", "torch.cat([x, zeros], dim=1)", {"q1"}),  # zeros on the right
    "parameter_sharing": ("delta[t].T @ h[t] for t", "delta[t].T @ h[t + 1] for t", {"q2"}),  # h_t, not h_(t-1)
    "adding_problem": ("(x[..., 0] * x[..., 1]).sum(dim=1)", "x[..., 0].sum(dim=1)", {"q1"}),  # every value summed
    # the padding masked, but the sum divided by every step
    "variable_lengths": ("return (losses * mask).sum() / mask.sum()", "return (losses * mask).sum() / losses.numel()",
                         {"q1"}),
}

# What a student who wants the public tests to pass might try: replace the comparisons they use.
CHEAT = """import numpy as _np
import torch as _torch

_torch.testing.assert_close = lambda *args, **kwargs: None
_torch.allclose = lambda *args, **kwargs: True
_np.array_equal = lambda *args, **kwargs: True
_np.allclose = lambda *args, **kwargs: True"""

# Correct answers computed in float32 rather than float64: full marks all the same.
FLOAT32 = {"forecast_baseline": {"actual = passengers[start:]": "actual = passengers[start:].astype(np.float32)",
                                 "passengers[start - 12 : -12]": "passengers[start - 12 : -12].astype(np.float32)",
                                 "passengers[start - 1 : -1]": "passengers[start - 1 : -1].astype(np.float32)"}}


def test_every_assignment_has_a_typical_mistake():
    assert ASSIGNMENTS and set(ASSIGNMENTS) == set(MISTAKES)


def grade(submission: Path, autograder_zip: Path) -> dict:
    """Grade one notebook with ``otter run``; return {question: (score, max_score)}."""
    out = submission.parent
    subprocess.run([str(OTTER), "run", "--no-logo", "-a", str(autograder_zip), "-o", str(out), str(submission)],
                   check=True, capture_output=True, cwd=out)
    tests = json.loads((out / "results.json").read_text())["tests"]
    return {t["name"]: (t["score"], t["max_score"]) for t in tests if "max_score" in t}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    output = tmp_path_factory.mktemp("assignments")
    subprocess.run([sys.executable, str(ROOT / "tools" / "assignments.py"), "--no-run-tests", "--output", str(output)],
                   check=True, capture_output=True, cwd=ROOT)
    return output


@pytest.fixture(scope="module")
def scores(built):
    """{(assignment, "solution" | "blank" | "mistake"): {question: (score, max_score)}}."""
    jobs = {}
    for name in ASSIGNMENTS:
        autograder_zip = next((built / name / "autograder").glob(f"{name}-autograder_*.zip"))
        solution = nbformat.read(built / name / "autograder" / f"{name}.ipynb", as_version=4)
        right, wrong, _ = MISTAKES[name]
        mistaken = nbformat.from_dict(json.loads(json.dumps(solution)))
        cells = [c for c in mistaken.cells if right in c.source]
        assert len(cells) == 1, f"{name}: the solution no longer holds {right!r}; update MISTAKES"
        cells[0].source = cells[0].source.replace(right, wrong)
        submissions = {"solution": solution, "mistake": mistaken,
                       "blank": nbformat.read(built / name / "student" / f"{name}.ipynb", as_version=4)}
        cheat = nbformat.from_dict(json.loads(json.dumps(mistaken)))  # the typical mistake, and the checks disarmed
        setup = next(i for i, c in enumerate(cheat.cells) if "grader = otter.Notebook" in c.source)
        cheat.cells.insert(setup + 1, nbformat.v4.new_code_cell(CHEAT))
        submissions["cheat"] = cheat
        if name in FLOAT32:  # a correct answer computed in float32
            in_float32 = nbformat.from_dict(json.loads(json.dumps(solution)))
            for cell in in_float32.cells:
                for old, new in FLOAT32[name].items():
                    cell.source = cell.source.replace(old, new)
            submissions["float32"] = in_float32
        for kind, nb in submissions.items():
            folder = built / "submissions" / name / kind
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{name}.ipynb")
            jobs[name, kind] = (folder / f"{name}.ipynb", autograder_zip)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = {key: pool.submit(grade, *job) for key, job in jobs.items()}
        return {key: future.result() for key, future in results.items()}


def total(result: dict) -> tuple[float, float]:
    return sum(s for s, _ in result.values()), sum(m for _, m in result.values())


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_and_autograder_versions(built, name):
    folder = built / name
    student = nbformat.read(folder / "student" / f"{name}.ipynb", as_version=4)
    autograder = nbformat.read(folder / "autograder" / f"{name}.ipynb", as_version=4)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert "BEGIN SOLUTION" not in student_code and MISTAKES[name][0] not in student_code
    assert MISTAKES[name][0] in "\n".join(c.source for c in autograder.cells)
    public = "".join(p.read_text() for p in (folder / "student" / "tests").glob("q*.py"))
    every = "".join(p.read_text() for p in (folder / "autograder" / "tests").glob("q*.py"))
    assert "hidden=False" in public and "hidden=True" not in public
    assert "hidden=True" in every
    with zipfile.ZipFile(next((folder / "autograder").glob(f"{name}-autograder_*.zip"))) as z:
        assert {"run_autograder", "setup.sh", "environment.yml"} <= set(z.namelist())
        assert "rnntutor @ git+" in z.read("environment.yml").decode()
    with zipfile.ZipFile(folder / f"{name}-student.zip") as z:
        assert f"{name}.ipynb" in z.namelist() and "tests/q1.py" in z.namelist()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_version_installs_on_colab_what_the_book_installs(built, name):
    chapter = nbformat.read(ROOT / "book" / "01_why_rnns.ipynb", as_version=4)
    colab_cell = next(c.source for c in chapter.cells if c.cell_type == "code")
    requirement = re.search(r'"(rnntutor @ [^"]+)"', colab_cell).group(1)
    first = nbformat.read(built / name / "student" / f"{name}.ipynb", as_version=4).cells[0]
    assert first.cell_type == "code" and '"google.colab" in sys.modules' in first.source
    assert f'"{requirement}"' in first.source and "otter-grader==" in first.source


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reference_solution_scores_full_marks(scores, name):
    score, possible = total(scores[name, "solution"])
    assert possible > 0 and score == possible, scores[name, "solution"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_submission_scores_zero(scores, name):
    score, possible = total(scores[name, "blank"])
    assert possible > 0 and score == 0, scores[name, "blank"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_typical_mistake_scores_part_marks(scores, name):
    result = scores[name, "mistake"]
    score, possible = total(result)
    assert 0 < score < possible, result
    assert {q for q, (s, m) in result.items() if s < m} == MISTAKES[name][2]


@pytest.mark.parametrize("name", sorted(FLOAT32))
def test_correct_answer_in_float32_scores_full_marks(scores, name):
    score, possible = total(scores[name, "float32"])
    assert possible > 0 and score == possible, scores[name, "float32"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_needs_no_other_file(built, name, tmp_path, monkeypatch):
    """Its first cell writes the public tests when tests/ is missing (Colab after a runtime reset: no upload),
    and its markdown holds no MyST that Jupyter would show raw."""
    nb = nbformat.read(built / name / "student" / f"{name}.ipynb", as_version=4)
    monkeypatch.chdir(tmp_path)
    exec(compile(nb.cells[0].source, "first cell", "exec"), {})
    public = sorted((built / name / "student" / "tests").glob("*.py"))
    assert public and sorted(p.name for p in (tmp_path / "tests").iterdir()) == [p.name for p in public]
    assert all((tmp_path / "tests" / p.name).read_text() == p.read_text() for p in public)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\{[\w:-]+\}`|^\s*(`{3,}|:{3,})\{", cell.source, re.MULTILINE), cell.source


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_unanswered_notebook_runs_every_cell(built, name, tmp_path):
    """Run all on the student version as handed out, alone in a folder: every cell runs, the checks say what is
    missing."""
    from nbclient import NotebookClient

    from rnntutor.kernels import start_again_if_it_died

    folder = tmp_path
    nb = nbformat.read(built / name / "student" / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    start_again_if_it_died(client.execute)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors


def test_failed_build_leaves_nothing_and_a_private_copy_builds(built, tmp_path):
    """A copy of an assignment outside the repository (no ../requirements.txt) builds; when its solution fails
    its own tests the build stops with exit status 1 and leaves no folder and no zip, not even an old one."""
    name = "forecast_baseline"
    private, output = tmp_path / "private", tmp_path / "out"
    private.mkdir()
    nb = nbformat.read(ROOT / "assignments" / name / f"{name}.ipynb", as_version=4)
    nbformat.write(nb, private / f"{name}.ipynb")
    command = [sys.executable, str(ROOT / "tools" / "assignments.py"), "--output", str(output),
               str(private / f"{name}.ipynb")]
    subprocess.run([*command, "--no-run-tests"], check=True, capture_output=True, cwd=tmp_path)
    assert next((output / name / "autograder").glob(f"{name}-autograder_*.zip"))
    right, wrong, _ = MISTAKES[name]
    [cell] = [c for c in nb.cells if right in c.source]
    cell.source = cell.source.replace(right, wrong)
    nbformat.write(nb, private / f"{name}.ipynb")
    failed = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr[-2000:]
    assert "otter assign failed, nothing written" in failed.stderr
    assert not (output / name).exists()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_replacing_the_comparisons_wins_no_hidden_point(scores, name):
    """The typical mistake with torch's and NumPy's comparison functions replaced: its hidden tests still
    fail, so the questions the mistake costs stay short of full marks, and it gains at most public points."""
    cheat, mistake = scores[name, "cheat"], scores[name, "mistake"]
    assert {q for q, (s, m) in cheat.items() if s < m} == MISTAKES[name][2], cheat
    assert total(cheat)[0] <= total(mistake)[0] + 1, (cheat, mistake)
