"""Execute every chapter notebook from top to bottom and report, per notebook, pass or fail and the time.

    python tools/run_notebooks.py                 # on CUDA (`make gpu-check`): stops when there is no GPU
    python tools/run_notebooks.py --device cpu    # the same on the CPU, with the GPU hidden
    python tools/run_notebooks.py --device standin  # on the CPU posing as a GPU (`make device-check`)

On CUDA a notebook passes when every cell runs and it put tensors on the GPU (peak GPU memory above
zero): a chapter that ignores ``device = rnntutor.setup()`` fails here. Outputs are not compared with the
stored ones (a GPU changes the last digits; nbval compares them on the CPU), and the notebooks on disk
are left unchanged. With ``--device standin`` every kernel computes on the CPU under another name, with
CUDA's rules about mixing devices (tools/standin_device.py): a model, batch or generator that ignores
``device`` fails as it would on a GPU, on a machine without one; its report also counts each notebook's
reads from the device into Python (``.item()``, ``.tolist()``, printing a tensor, ...), each of which makes
a GPU's program wait for the GPU.
Exit status: 0 when every notebook passes, 1 when one fails, 2 when CUDA is missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
# A last cell that prints one number for the report: the peak GPU memory, or the stand-in device's reads.
REPORT = {"cuda": "import torch\nprint(torch.cuda.max_memory_allocated())",
          "standin": "import standin_device\nprint(sum(standin_device.READS.values()))"}


def standin_profile(folder: Path) -> None:
    """Make ``folder`` an IPython folder whose startup file switches the stand-in device on in every kernel."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True)
    tools = str(Path(__file__).resolve().parent)
    (startup / "standin_device.py").write_text(
        f"import sys\nsys.path.insert(0, {tools!r})\nimport standin_device\nstandin_device.install()\n")


def run(path: Path, timeout: int, device: str, nb=None) -> tuple[bool, float, int, str]:
    """Execute one notebook (``nb``, or else the one at ``path``) in ``path``'s folder on ``device``; return
    (ran, seconds, the number of the device's last cell: peak GPU bytes or reads of the stand-in device,
    error)."""
    nb = nb or nbformat.read(path, as_version=4)
    if device in REPORT:
        nb.cells.append(nbformat.v4.new_code_cell(REPORT[device]))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        return False, time.perf_counter() - start, 0, f"{exc.ename}: {exc.evalue}"
    except (CellTimeoutError, DeadKernelError) as exc:
        return False, time.perf_counter() - start, 0, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    number = int("".join(out.get("text", "") for out in nb.cells[-1].outputs).strip()) if device in REPORT else 0
    return True, seconds, number, ""


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

    failed = 0
    column = {"cuda": "peak GPU MiB", "standin": "device reads"}.get(args.device, "")
    print(f"{'notebook':<36} {'result':<6} {'seconds':>8} {column:>13}")
    for path in notebooks:
        ran, seconds, number, error = run(path, args.timeout, args.device)
        if ran and args.device == "cuda" and number == 0:
            ran, error = False, "ran, but put nothing on the GPU (does it use device = rnntutor.setup()?)"
        failed += not ran
        shown = {"cuda": f"{number / 2**20:.1f}", "standin": f"{number}"}.get(args.device, "-") if ran else "-"
        print(f"{path.name:<36} {'pass' if ran else 'FAIL':<6} {seconds:8.1f} {shown:>13}", flush=True)
        if error:
            print(f"    {error}")
    print(f"{len(notebooks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
