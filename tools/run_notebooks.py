"""Execute every chapter notebook from top to bottom and report, per notebook, pass or fail and the time.

    python tools/run_notebooks.py                 # on CUDA (`make gpu-check`): stops when there is no GPU
    python tools/run_notebooks.py --device cpu    # the same on the CPU, with the GPU hidden
    python tools/run_notebooks.py --device standin  # on the CPU posing as a GPU (`make device-check`)

On CUDA a notebook passes when every cell runs, it put tensors on the GPU (peak GPU memory above zero: a
chapter that ignores ``device = rnntutor.setup()`` fails here), and it took no longer than on one CPU
core: the same notebooks run on the CPU with the GPU hidden, in a second process beside the GPU run, and a
last table sets each notebook's GPU seconds against them. The whole book should take under 5 minutes on
the GPU. Outputs are not compared with the stored ones (a GPU changes the last digits; nbval compares
them on the CPU), and the notebooks on disk are left unchanged.

With ``--device standin`` every kernel computes on the CPU under another name, with CUDA's rules about
mixing devices (tools/standin_device.py): a model, batch or generator that ignores ``device`` fails as it
would on a GPU, on a machine without one. Its report also counts each notebook's waits for the device:
reads from it into Python (``.item()``, ``.tolist()``, printing a tensor, ...) and copies to it from the
CPU, after each of which a GPU's program waits until the GPU has caught up. The stand-in adds the same cost
to every operation, which changes how fast one computation runs against another, so it leaves out the
claim cells tagged ``timing`` (claims about speed); every CPU run of the book asserts them.

Exit status: 0 when every notebook passes, 1 when one fails, 2 when CUDA is missing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from rnntutor.kernels import ATTEMPTS, died_at_start, start_again_if_it_died

ROOT = Path(__file__).resolve().parents[1]
# A last cell that prints one number for the report: the peak GPU memory, or the waits for the stand-in device.
REPORT = {"cuda": "import torch\nprint(torch.cuda.max_memory_allocated())",
          "standin": "import standin_device\nprint(sum(standin_device.WAITS.values()))"}


def startup_profile(folder: Path, code: str) -> None:
    """Make ``folder`` an IPython folder whose startup file runs ``code`` first in every kernel (started with
    ``IPYTHONDIR`` set to it)."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "rnntutor_startup.py").write_text(code)


def standin_profile(folder: Path) -> None:
    """Make ``folder`` an IPython folder whose startup file switches the stand-in device on in every kernel."""
    tools = str(Path(__file__).resolve().parent)
    startup_profile(folder, f"import sys\nsys.path.insert(0, {tools!r})\nimport standin_device\n"
                            "standin_device.install()\n")


def run(path: Path, timeout: int, device: str, nb=None) -> tuple[bool, float, int, str]:
    """Execute one notebook (``nb``, or else the one at ``path``) in ``path``'s folder on ``device``; return
    (ran, seconds, the number of the device's last cell: peak GPU bytes or waits for the stand-in device,
    error)."""
    nb = nb or nbformat.read(path, as_version=4)
    if device == "standin":  # it slows every operation alike, so it changes the ratios that speed claims measure
        nb.cells = [cell for cell in nb.cells if "timing" not in cell.metadata.get("tags", [])]
    if device in REPORT:
        nb.cells.append(nbformat.v4.new_code_cell(REPORT[device]))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}})
    start = time.perf_counter()
    try:
        start_again_if_it_died(client.execute)  # after a failed start, the client starts a new kernel
    except CellExecutionError as exc:
        return False, time.perf_counter() - start, 0, f"{exc.ename}: {exc.evalue}"
    except (CellTimeoutError, DeadKernelError) as exc:
        return False, time.perf_counter() - start, 0, f"{type(exc).__name__}: {exc}"
    except RuntimeError as exc:
        if not died_at_start(exc):
            raise
        return False, time.perf_counter() - start, 0, f"its kernel died as it started, {ATTEMPTS} times: {exc}"
    seconds = time.perf_counter() - start
    return True, seconds, last_number(nb) if device in REPORT else 0, ""


def last_number(nb) -> int:
    """The number that an executed notebook's last cell printed."""
    return int("".join(out.get("text", "") for out in nb.cells[-1].outputs).strip())


BOOK_ON_A_GPU = 300  # seconds: the whole book on a GPU takes under 5 minutes


def one_core(notebooks: list[Path], timeout: int) -> subprocess.Popen:
    """Start the notebooks on the CPU with the GPU hidden (``--device cpu``: one torch thread each, as
    rnntutor.setup() sets it), in a process beside the GPU run: the yardstick the GPU run is set against."""
    command = [sys.executable, str(Path(__file__).resolve()), "--device", "cpu", "--timeout", str(timeout)]
    return subprocess.Popen([*command, *map(str, notebooks)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)


def passed_seconds(report: str) -> dict[str, float]:
    """The seconds of every notebook that passed, by file name, from this script's report."""
    rows = [line.split() for line in report.splitlines()]
    return {row[0]: float(row[2]) for row in rows
            if len(row) > 2 and row[0].endswith(".ipynb") and row[1] == "pass"}


def against_one_core(gpu: dict[str, float], cpu: dict[str, float],
                     names: list[str]) -> tuple[list[str], int, bool]:
    """The table of each notebook's GPU seconds against one CPU core's (``gpu`` and ``cpu`` hold the
    notebooks that passed there), the number of notebooks that fail (not run on the GPU or on the CPU, or
    slower on the GPU), and whether the whole book took under 5 minutes on the GPU."""
    lines = [f"{'notebook':<36} {'result':<6} {'GPU s':>8} {'CPU s':>8} {'GPU/CPU':>8}"]
    failed = 0
    for name in names:
        if name in gpu and name in cpu:
            result = "pass" if gpu[name] <= cpu[name] else "slower"
            lines.append(f"{name:<36} {result:<6} {gpu[name]:8.1f} {cpu[name]:8.1f} {gpu[name] / cpu[name]:8.2f}")
        else:
            result = "FAIL"
            shown = [f"{side[name]:.1f}" if name in side else "-" for side in (gpu, cpu)]
            lines.append(f"{name:<36} {result:<6} {shown[0]:>8} {shown[1]:>8} {'-':>8}")
        failed += result != "pass"
    total = sum(gpu.values())
    lines.append(f"the whole book: {total:.0f} s on the GPU (under {BOOK_ON_A_GPU} s wanted), "
                 f"{sum(cpu.values()):.0f} s on one CPU core")
    return lines, failed, total < BOOK_ON_A_GPU


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every book/*.ipynb")
    parser.add_argument("--device", choices=("cuda", "cpu", "standin"), default="cuda")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed for one cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    if not notebooks:
        parser.error("no notebooks found in book/")

    if args.device in ("cpu", "standin"):
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the kernels inherit it: rnntutor.setup() then picks the CPU
        if args.device == "standin":
            profile = tempfile.TemporaryDirectory(prefix="rnntutor-standin-")  # removed when the run ends
            standin_profile(Path(profile.name))
            os.environ["IPYTHONDIR"] = profile.name  # each kernel switches the stand-in device on first
    else:
        import torch

        if not torch.cuda.is_available():
            print(f"no CUDA GPU: torch {torch.__version__} (CUDA build {torch.version.cuda}) sees none here; "
                  "run on a machine with a GPU, or pass --device cpu", file=sys.stderr)
            return 2
        print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
        yardstick = one_core(notebooks, args.timeout)

    failed, gpu_seconds, in_time = 0, {}, True
    column = {"cuda": "peak GPU MiB", "standin": "device waits"}.get(args.device, "")
    print(f"{'notebook':<36} {'result':<6} {'seconds':>8} {column:>13}")
    for path in notebooks:
        ran, seconds, number, error = run(path, args.timeout, args.device)
        if ran and args.device == "cuda" and number == 0:
            ran, error = False, "ran, but put nothing on the GPU (does it use device = rnntutor.setup()?)"
        failed += not ran
        if ran and args.device == "cuda":
            gpu_seconds[path.name] = seconds
        shown = {"cuda": f"{number / 2**20:.1f}", "standin": f"{number}"}.get(args.device, "-") if ran else "-"
        verdict = ("ran" if args.device == "cuda" else "pass") if ran else "FAIL"  # on CUDA: until set against a core
        print(f"{path.name:<36} {verdict:<6} {seconds:8.1f} {shown:>13}", flush=True)
        if error:
            print(f"    {error}")
    if args.device == "cuda":
        print("\nagainst one CPU core (the same notebooks, run beside the GPU run with the GPU hidden):")
        lines, failed, in_time = against_one_core(gpu_seconds, passed_seconds(yardstick.communicate()[0]),
                                                  [path.name for path in notebooks])
        print("\n".join(lines))
    print(f"{len(notebooks) - failed} passed, {failed} failed" + ("" if in_time else "; the book took too long"))
    return 1 if failed or not in_time else 0


if __name__ == "__main__":
    sys.exit(main())
