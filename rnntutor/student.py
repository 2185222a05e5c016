"""Student versions of exercise notebooks: the solutions taken out, the stubs shown, the outputs cleared.

A notebook marks what is the teacher's with cell tags and MyST directives, and nbconvert's preprocessors
do the rest:

- a cell tagged ``solution`` goes (the code that solves a coding exercise, or any markdown cell);
- a markdown cell that opens with a ``{solution}``, ``{solution-start}`` or ``{solution-end}`` directive
  goes, so each solution sits in a markdown cell of its own; a notebook where a solution shares its
  cell with an exercise or a heading is refused rather than cut;
- a cell tagged ``skeleton`` (the stub a student fills in, hidden from the book by ``remove-cell``) loses
  its ``remove-cell`` tag;
- outputs, execution counts and cell metadata other than tags are cleared.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import (
    ClearMetadataPreprocessor,
    ClearOutputPreprocessor,
    Preprocessor,
    RegexRemovePreprocessor,
    TagRemovePreprocessor,
)

SOLUTION_TAG, SKELETON_TAG, HIDDEN_TAG = "solution", "skeleton", "remove-cell"
# A MyST solution directive, fenced with backticks or colons: ```{solution} ex-1, ```{solution-start} ex-1, ...
SOLUTION_DIRECTIVE = r"\s*(`{3,}|:{3,})\s*\{solution(-start|-end)?\}"
_EXERCISE_OR_HEADING = re.compile(r"\{exercise\}|^#{1,6} ", re.MULTILINE)
_CLOSING_FENCE = re.compile(r"(`{3,}|:{3,})\s*\Z")


class ShowSkeletons(Preprocessor):
    """Drop the ``remove-cell`` tag of cells tagged ``skeleton``, so that the student sees the stub."""

    def preprocess_cell(self, cell, resources, index):
        tags = cell.metadata.get("tags", [])
        if SKELETON_TAG in tags:
            cell.metadata["tags"] = [tag for tag in tags if tag != HIDDEN_TAG]
        return cell, resources


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of ``nb`` without its solutions, with its stubs shown and its outputs cleared.

    Raises ``ValueError`` (naming ``name`` and the cell) when a solution directive shares a markdown cell
    with anything that must stay, since removing that cell would remove it too.
    """
    _check_solutions_stand_alone(nb, name)
    preprocessors = [
        TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}),
        RegexRemovePreprocessor(patterns=[SOLUTION_DIRECTIVE]),
        ShowSkeletons(),
        ClearOutputPreprocessor(),
        ClearMetadataPreprocessor(clear_notebook_metadata=False, preserve_cell_metadata_mask={"tags"}),
    ]
    nb, resources = copy.deepcopy(nb), {}
    for preprocessor in preprocessors:
        preprocessor.enabled = True
        nb, resources = preprocessor(nb, resources)
    return nb


def write_student_notebooks(paths, output_dir) -> list[Path]:
    """Write the student version of each notebook in ``paths`` to ``output_dir`` (same file names)."""
    paths, output_dir = [Path(p) for p in paths], Path(output_dir)
    if not paths:
        raise ValueError("no notebooks given")
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"expected .ipynb notebook files, got {path} (no such notebook)")
        if (output_dir / path.name).resolve() == path.resolve():
            raise ValueError(f"the output folder {output_dir} holds {path.name} itself; choose another folder")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise ValueError(f"two notebooks would be written to the same file: {sorted(names)}")
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = student_notebook(nbformat.read(path, as_version=4), name=str(path))
        nbformat.write(nb, output_dir / path.name)
        written.append(output_dir / path.name)
    return written


def _check_solutions_stand_alone(nb, name: str) -> None:
    directive = re.compile(SOLUTION_DIRECTIVE)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or SOLUTION_TAG in cell.metadata.get("tags", []):
            continue
        source = cell.source.strip()
        if not directive.search(source):
            continue
        alone = (directive.match(source) and _CLOSING_FENCE.search(source)
                 and not _EXERCISE_OR_HEADING.search(source) and len(directive.findall(source)) == 1)
        if not alone:
            raise ValueError(f"{name}, cell {index}: a solution directive shares its markdown cell with other "
                             f"text; put each solution in a markdown cell of its own (or tag the cell "
                             f"'{SOLUTION_TAG}') so the student version can remove it")
