"""Can `make device-check` fail? Remove one ``.to(device)`` or ``device=device`` at a time from the chapters
and run each changed chapter on the stand-in device (tools/standin_device.py); report which removals fail
there, as they would on a GPU, and which run.

    python tools/device_mutants.py                       # every removal in every chapter, two at a time
    python tools/device_mutants.py book/06_lstm.ipynb --jobs 1

A removal that runs is not always a miss: CUDA too allows CPU indices and assignment into a GPU tensor, and
where a whole computation then stays on the CPU (``fit`` and ``Ensemble`` move each batch to the model's
device) it runs on a GPU as well, only slower. The notebooks on disk are left unchanged.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
from run_notebooks import ROOT, run, standin_profile

MOVE = re.compile(r"\.to\(device\)|,\s*device=device|device=device,\s*")


def mutants(path: Path):
    """Yield (description, notebook) for each ``.to(device)`` or ``device=device`` of ``path`` removed."""
    source = nbformat.read(path, as_version=4)
    places = [(i, match) for i, cell in enumerate(source.cells) if cell.cell_type == "code"
              for match in MOVE.finditer(cell.source)]
    for i, match in places:
        nb = nbformat.from_dict(source)
        text = nb.cells[i].source
        nb.cells[i].source = text[:match.start()] + text[match.end():]
        line = text.count("\n", 0, match.start()) + 1
        removed = " ".join(match.group(0).split()).strip(", ")
        yield f"{path.name} cell {i} line {line}: {removed!r}", nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every book/*.ipynb")
    parser.add_argument("--jobs", type=int, default=2, help="chapters run at once")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))

    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    profile = tempfile.TemporaryDirectory(prefix="rnntutor-standin-")
    standin_profile(Path(profile.name))
    os.environ["IPYTHONDIR"] = profile.name

    work = [(path, name, nb) for path in notebooks for name, nb in mutants(path)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = pool.map(run, [path for path, _, _ in work], [600] * len(work), [False] * len(work),
                           [nb for _, _, nb in work])
        failed = 0
        for (_, name, _), (ran, _, _, error) in zip(work, results, strict=True):
            failed += not ran
            print(f"{'runs' if ran else 'fails':<5}  {name}" + ("" if ran else f"  ({error[:100]})"), flush=True)
    print(f"{failed} of {len(work)} removals fail on the stand-in device, {len(work) - failed} run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
