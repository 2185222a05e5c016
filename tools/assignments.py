"""Build every graded assignment with otter-grader: student and autograder versions, and the zip files.

    python tools/assignments.py                    # every assignments/*/*.ipynb into build/assignments/
    python tools/assignments.py --no-run-tests assignments/rnn_step/rnn_step.ipynb --output /tmp/out

For each source notebook NAME.ipynb, ``otter assign`` writes OUTPUT/NAME/autograder/ (the notebook with
its solutions, every test, and the Gradescope autograder zip NAME-autograder_<time>.zip) and
OUTPUT/NAME/student/ (the notebook without solutions, and the public tests). The student folder is also
zipped to OUTPUT/NAME/NAME-student.zip, the one file to hand out: on Colab, the notebook's first cell asks
for it to unpack the tests. Unless --no-run-tests is given, otter assign grades the solutions notebook
and stops when it does not score full marks.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(source: Path, output: Path, run_tests: bool = True) -> Path:
    """Run otter assign on ``source`` into ``output/NAME`` and zip its student folder; return that folder."""
    from otter.assign import main as otter_assign

    target = output / source.stem
    if target.exists():
        shutil.rmtree(target)
    otter_assign(str(source), str(target), no_pdfs=True, no_run_tests=not run_tests)
    shutil.make_archive(str(target / f"{source.stem}-student"), "zip", root_dir=target / "student")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="source notebooks (default: every assignments/*/*.ipynb)")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "assignments",
                        help="where to write (default: build/assignments)")
    parser.add_argument("--no-run-tests", action="store_true", help="do not grade the solutions notebook")
    args = parser.parse_args(argv)
    sources = args.notebooks or sorted((ROOT / "assignments").glob("*/*.ipynb"))
    for source in sources:
        if source.suffix != ".ipynb" or not source.is_file():
            parser.error(f"expected an assignment's source notebook (.ipynb), got {source}")
    for source in sources:
        target = build(source.resolve(), args.output.resolve(), run_tests=not args.no_run_tests)
        print(f"{source.stem}: {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
