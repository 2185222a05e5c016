"""tools/run_notebooks.py (`make gpu-check`): it reports each notebook's result and fails when one fails
or when CUDA is asked for and missing. Run here on small notebooks made for the test, on the CPU."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from rnntutor.kernels import ATTEMPTS, DIED_AT_START

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "run_notebooks.py"
sys.path.insert(0, str(SCRIPT.parent))
import run_notebooks  # noqa: E402
from run_notebooks import against_one_core, passed_seconds  # noqa: E402


def notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)
    return path


def verdicts(stdout):
    """Each notebook's reported result ("pass" or "FAIL"), by file name."""
    rows = [line.split() for line in stdout.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) > 1 and row[0].endswith(".ipynb")}


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_reports_each_notebook_and_fails_when_one_fails(tmp_path):
    # On the CPU the GPU is hidden from the kernels: rnntutor.setup() then picks the CPU.
    good = notebook(tmp_path / "good.ipynb", "import os\nassert os.environ['CUDA_VISIBLE_DEVICES'] == ''")
    bad = notebook(tmp_path / "bad.ipynb", "{}['missing']")
    before = bad.read_text()
    result = run(good, bad, "--device", "cpu")
    assert result.returncode == 1, result.stdout + result.stderr
    assert verdicts(result.stdout) == {"good.ipynb": "pass", "bad.ipynb": "FAIL"}
    assert "KeyError: 'missing'" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"
    assert bad.read_text() == before, "the notebooks on disk must stay as they are"
    seconds = passed_seconds(result.stdout)  # what a GPU run reads from its one-core run beside it
    assert list(seconds) == ["good.ipynb"] and 0 < seconds["good.ipynb"] < 120


def test_a_notebook_whose_kernel_lost_the_race_for_its_ports_runs_all_the_same(a_taken_port, tmp_path):
    path = notebook(tmp_path / "late.ipynb", "print(6 * 7)")
    ran, _, _, error = run_notebooks.run(path, 60, "cpu")
    assert (ran, error) == (True, ""), "rnntutor.kernels starts it again"


def test_a_notebook_whose_kernel_never_starts_fails_with_one_line(monkeypatch, tmp_path):
    def execute(self):
        raise RuntimeError(DIED_AT_START)

    monkeypatch.setattr(run_notebooks.NotebookClient, "execute", execute)
    ran, _, _, error = run_notebooks.run(notebook(tmp_path / "never.ipynb", "1"), 60, "cpu")
    assert not ran and error.startswith(f"its kernel died as it started, {ATTEMPTS} times")


def test_a_gpu_run_passes_a_notebook_only_when_it_is_no_slower_than_one_core():
    names = ["faster.ipynb", "slower.ipynb", "crashed_on_gpu.ipynb", "crashed_on_cpu.ipynb"]
    gpu = {"faster.ipynb": 5.0, "slower.ipynb": 12.0, "crashed_on_cpu.ipynb": 3.0}
    cpu = {"faster.ipynb": 10.0, "slower.ipynb": 8.0, "crashed_on_gpu.ipynb": 4.0}
    lines, failed, in_time = against_one_core(gpu, cpu, names)
    assert verdicts("\n".join(lines)) == {"faster.ipynb": "pass", "slower.ipynb": "slower",
                                          "crashed_on_gpu.ipynb": "FAIL", "crashed_on_cpu.ipynb": "FAIL"}
    assert "0.50" in lines[1] and "1.50" in lines[2]  # GPU seconds over CPU seconds
    assert failed == 3 and in_time
    assert against_one_core({"a.ipynb": 301.0}, {"a.ipynb": 400.0}, ["a.ipynb"])[1:] == (0, False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_run_stops_clearly_without_a_gpu(tmp_path):
    result = run(notebook(tmp_path / "any.ipynb", "1"))
    assert result.returncode == 2
    assert "no CUDA GPU" in result.stderr


def test_the_stand_in_device_fails_a_chapter_that_leaves_its_model_on_the_cpu(tmp_path):
    # Chapter 6 once built a model without .to(device): on a CPU it ran, on a GPU it failed.
    start = "import rnntutor, torch\ndevice = rnntutor.setup()\nx = torch.randn(4, 3).to(device)\n"
    moved = notebook(tmp_path / "moved.ipynb", start + "torch.nn.Linear(3, 2).to(device)(x).sum().item()")
    left = notebook(tmp_path / "left.ipynb", start + "torch.nn.Linear(3, 2)(x)")
    result = run(moved, left, "--device", "standin")
    assert result.returncode == 1, result.stdout + result.stderr
    assert verdicts(result.stdout) == {"moved.ipynb": "pass", "left.ipynb": "FAIL"}
    assert "DeviceMismatch: linear: expected all tensors on one device" in result.stdout
    moved_row = next(line.split() for line in result.stdout.splitlines() if line.startswith("moved.ipynb"))
    # its waits for the device: three copies from the CPU (x, the weight, the bias) and one read (.item())
    assert moved_row[-1] == "4", result.stdout


def test_the_stand_in_device_leaves_out_claims_about_speed(tmp_path):
    # The stand-in slows every operation alike; a claim about speed is asserted on the CPU only.
    path = notebook(tmp_path / "timed.ipynb", "1")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise AssertionError('slower than claimed')",
                                              metadata={"tags": ["claim", "timing"]}))
    nbformat.write(nb, path)
    assert verdicts(run(path, "--device", "standin").stdout) == {"timed.ipynb": "pass"}
    assert verdicts(run(path, "--device", "cpu").stdout) == {"timed.ipynb": "FAIL"}


@pytest.mark.parametrize("gpu_seconds, verdict, status", [(0.001, "pass", 0), (400.0, "slower", 1)])
def test_a_gpu_run_times_the_notebooks_on_one_core_beside_it(tmp_path, monkeypatch, capsys, gpu_seconds, verdict,
                                                            status):
    # The GPU side is simulated (no GPU here); the one-core run beside it is real.
    quick = notebook(tmp_path / "quick.ipynb", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: "a simulated GPU")
    monkeypatch.setattr(run_notebooks, "run", lambda path, timeout, device: (True, gpu_seconds, 2**20, ""))
    assert run_notebooks.main([str(quick)]) == status
    report = capsys.readouterr().out
    assert "against one CPU core" in report and verdicts(report) == {"quick.ipynb": verdict}
    assert report.rstrip().endswith("; the book took too long") == (gpu_seconds > 300)


def test_the_operation_count_counts_what_a_gpu_would_launch(tmp_path):
    # benchmarks/count_operations.py: torch.ones, + and sum launch a kernel each; the transpose is a view.
    counted = notebook(tmp_path / "three.ipynb", "import torch\nx = torch.ones(3) + 1\nx.t().sum()")
    script = SCRIPT.parents[1] / "benchmarks" / "count_operations.py"
    result = subprocess.run([sys.executable, script, counted], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split() == ["three.ipynb", "3"]
