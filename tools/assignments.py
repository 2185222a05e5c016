"""Build every graded assignment with otter-grader: student and autograder versions, and the zip files.

    python tools/assignments.py                    # every assignments/*/*.ipynb into build/assignments/
    python tools/assignments.py --no-run-tests assignments/rnn_step/rnn_step.ipynb --output /tmp/out

For each source notebook NAME.ipynb, ``otter assign`` writes OUTPUT/NAME/autograder/ (the notebook with
its solutions, every test, and the Gradescope autograder zip NAME-autograder_<time>.zip) and
OUTPUT/NAME/student/ (the notebook without solutions, and the public tests). The student notebook
carries its public tests too: its first cell writes them to tests/ when they are missing (on Colab after
every runtime reset), so that the notebook is the only file a student needs; and its MyST (citations,
directives) is written as plain Markdown, which Jupyter and Colab show as it is meant. The student folder
is also zipped to OUTPUT/NAME/NAME-student.zip. Unless --no-run-tests is given, otter assign grades the
solutions notebook and stops when it does not score full marks.
"""

from __future__ import annotations

import argparse
import base64
import io
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def build(source: Path, output: Path, run_tests: bool = True) -> Path:
    """Run otter assign on ``source`` into ``output/NAME`` and zip its student folder; return that folder.

    otter assign works on a copy of the source folder in a temporary place, next to a copy of the
    requirements the configuration names (``../requirements.txt``; the repository's
    assignments/requirements.txt when the source sits elsewhere, such as an instructor's private copy).
    ``output/NAME`` is replaced only when everything succeeded; when otter assign fails (a solution that
    does not score full marks), it is removed, so that no autograder zip is left behind.
    """
    from otter.assign import main as otter_assign

    target = output / source.stem
    with tempfile.TemporaryDirectory(prefix="rnntutor-assign-") as work:
        staged = Path(work) / "source" / source.stem
        shutil.copytree(source.parent, staged, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        requirements = source.parent.parent / "requirements.txt"
        if not requirements.is_file():
            requirements = ROOT / "assignments" / "requirements.txt"
        shutil.copy(requirements, staged.parent / "requirements.txt")
        built = Path(work) / "built"
        try:
            otter_assign(str(staged / source.name), str(built), no_pdfs=True, no_run_tests=not run_tests)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        self_contained(built / "student" / source.name)
        shutil.make_archive(str(built / f"{source.stem}-student"), "zip", root_dir=built / "student")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built, target)
    return target


UNPACK_TESTS = """

# The public tests of this assignment, written to tests/ when they are missing (on Colab, after every
# runtime reset): this notebook is the only file you need.
import base64
import io
import os
import zipfile

if not os.path.isdir("tests"):
    zipfile.ZipFile(io.BytesIO(base64.b64decode(
{encoded}
    ))).extractall()"""


def self_contained(notebook: Path) -> None:
    """Rewrite the student ``notebook``: its public tests (the tests/ folder next to it) packed into its first
    code cell, which unpacks them when tests/ is missing; its MyST written as plain Markdown."""
    from rnntutor.student import PlainMarkdown, read_references

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted((notebook.parent / "tests").glob("*.py")):
            z.write(path, f"tests/{path.name}")
    text = base64.b64encode(buffer.getvalue()).decode()
    encoded = "\n".join(f'        "{text[i:i + 100]}"' for i in range(0, len(text), 100))
    nb = nbformat.read(notebook, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.rstrip("\n") + UNPACK_TESTS.format(encoded=encoded)
    references = read_references(ROOT / "references.bib") if (ROOT / "references.bib").is_file() else None
    nb, _ = PlainMarkdown(references=references, folder=ROOT / "book").preprocess(nb, {})
    nbformat.write(nb, notebook)


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
        try:
            target = build(source.resolve(), args.output.resolve(), run_tests=not args.no_run_tests)
        except Exception as error:  # otter assign's own message says which test failed
            print(f"{source.stem}: otter assign failed, nothing written: {type(error).__name__}: {error}",
                  file=sys.stderr)
            return 1
        print(f"{source.stem}: {target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
