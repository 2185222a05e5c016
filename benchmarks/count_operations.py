"""Torch operations per chapter, counted on the CPU: on a GPU each one is at least one kernel launch.

The book's models are small, so on a GPU a chapter's time is set by how many operations Python launches,
not by their arithmetic. Every chapter was run once on an NVIDIA H200 (torch 2.11, CUDA 13; the chapters
of commit 9663496, whose training loops read the loss and gradient norm at every step), and this script
counted those chapters' operations: the GPU's seconds were 11.7 s + 28.4 us per counted operation (least
squares), within 13 % for the five chapters that ran (1, 2, 3, 5 and 8: 0.15 to 3.9 million operations,
16 to 129 s), while one CPU core spent 10 to 69 us per operation. So a chapter is faster on a GPU only
when its operations do more arithmetic each than the GPU's cost of launching them: batched seeds, larger
batches, fused layers. A GPU run (``make gpu-check``) gives the real times; this count is what changes when
a chapter or the package launches fewer operations, and it needs no GPU.

What is counted: every ATen operation that reaches the dispatcher below autograd (forward and backward),
except views and operations that only allocate. torch's fused ``nn.LSTM`` and ``nn.GRU`` are counted as
the operations of their CPU implementation (cuDNN launches fewer), and single-tensor optimizer steps as on
the CPU (on CUDA torch's optimizers and clipping use multi-tensor kernels). Outputs and claims are not
checked: a cell that fails (a claim about speed can, under the counter) is named, and the rest still run.

    python benchmarks/count_operations.py                       # every chapter
    python benchmarks/count_operations.py book/05_gru.ipynb
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import last_number, startup_profile  # noqa: E402

COUNTER = '''
import contextlib
from torch.utils._python_dispatch import TorchDispatchMode

ALLOCATE_ONLY = {"detach", "alias", "lift_fresh", "empty", "empty_strided", "empty_like", "new_empty",
                 "new_empty_strided", "_unsafe_view", "set_", "resize_"}


class OperationCounter(TorchDispatchMode):
    operations = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view and func.overloadpacket.__name__ not in ALLOCATE_ONLY:
            OperationCounter.operations += 1
        return func(*args, **(kwargs or {}))


COUNTING = contextlib.ExitStack()
COUNTING.enter_context(OperationCounter())  # for the rest of the kernel's life
'''


def count(path: Path, timeout: int) -> tuple[int, str]:
    """The operations of one notebook, executed in its folder on the CPU, and its first cell's error (or "")."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print(OperationCounter.operations)"))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": path.parent}})
    client.execute()
    errors = [f"{out.ename}: {out.evalue}" for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    return last_number(nb), (errors or [""])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every book/*.ipynb")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed for one cell")
    args = parser.parse_args(argv)
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    with tempfile.TemporaryDirectory(prefix="rnntutor-count-") as folder:
        startup_profile(Path(folder), COUNTER)
        os.environ["IPYTHONDIR"] = folder  # every kernel counts from its start
        print(f"{'notebook':<36} {'operations':>11}")
        total = 0
        for path in args.notebooks or sorted((ROOT / "book").glob("*.ipynb")):
            operations, error = count(path, args.timeout)
            total += operations
            print(f"{path.name:<36} {operations:11,d}" + (f"  (a cell failed: {error[:80]})" if error else ""),
                  flush=True)
        print(f"{'all':<36} {total:11,d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
