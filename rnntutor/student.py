"""Student versions of exercise notebooks: the solutions taken out, the stubs shown, the outputs cleared.

A notebook marks what is the teacher's with cell tags and MyST directives:

- a cell tagged ``solution`` goes (the code that solves a coding exercise, or any cell);
- every ``{solution}``, ``{solution-start}`` and ``{solution-end}`` directive goes from the markdown
  cells, found by markdown-it-py, the parser MyST itself is built on, so that an exercise and its
  solution may share a cell; a cell left empty goes;
- a cell tagged ``skeleton`` (the stub a student fills in, hidden from the book by ``remove-cell``) loses
  its ``remove-cell`` tag;
- outputs, execution counts and cell metadata other than tags are cleared.

nbconvert's preprocessors do the work: its own for tags, outputs and metadata, two small ones here.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from markdown_it import MarkdownIt
from mdit_py_plugins.colon_fence import colon_fence_plugin
from nbconvert.preprocessors import (
    ClearMetadataPreprocessor,
    ClearOutputPreprocessor,
    Preprocessor,
    TagRemovePreprocessor,
)

SOLUTION_TAG, SKELETON_TAG, HIDDEN_TAG = "solution", "skeleton", "remove-cell"
SOLUTION_DIRECTIVES = {"{solution}", "{solution-start}", "{solution-end}"}
_MARKDOWN = MarkdownIt("commonmark").use(colon_fence_plugin)  # ``` and ::: fences, as MyST reads them


class RemoveSolutionDirectives(Preprocessor):
    """Cut each top-level ``{solution}``, ``{solution-start}`` and ``{solution-end}`` directive, fenced with
    backticks or colons, out of the markdown cells, and drop a cell that holds nothing else."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _without_solutions(cell.source)
        nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()]
        return nb, resources


class ShowSkeletons(Preprocessor):
    """Drop the ``remove-cell`` tag of cells tagged ``skeleton``, so that the student sees the stub."""

    def preprocess_cell(self, cell, resources, index):
        tags = cell.metadata.get("tags", [])
        if SKELETON_TAG in tags:
            cell.metadata["tags"] = [tag for tag in tags if tag != HIDDEN_TAG]
        return cell, resources


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without its solutions, with its stubs shown and its outputs cleared."""
    preprocessors = [
        TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}),
        RemoveSolutionDirectives(),
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
        nbformat.write(student_notebook(nbformat.read(path, as_version=4)), output_dir / path.name)
        written.append(output_dir / path.name)
    return written


def _without_solutions(source: str) -> str:
    """``source`` with the lines of its top-level solution directives removed."""
    cut = set()
    for token in _MARKDOWN.parse(source):
        directive = (token.info.split() or [""])[0]
        if token.level == 0 and token.type in ("fence", "colon_fence") and directive in SOLUTION_DIRECTIVES:
            cut.update(range(*token.map))
    if not cut:
        return source
    lines = [line for i, line in enumerate(source.splitlines()) if i not in cut]
    return "\n".join(lines).strip("\n")
