"""Student versions of exercise notebooks: the solutions taken out, the stubs shown, the outputs cleared.

A notebook marks what is the teacher's with cell tags and MyST directives:

- a cell tagged ``solution`` (in any case: ``Solution``, ``SOLUTION``) goes (the code that solves a coding
  exercise, or any cell);
- every ``{solution}`` directive goes from the markdown cells, also one nested in a list, a block quote
  or another directive such as an admonition; found by markdown-it-py, the parser MyST itself is built
  on, so that an exercise and its solution may share a cell; a cell left empty goes;
- everything from a ``{solution-start}`` directive to its ``{solution-end}`` goes: the rest of the cell
  that opens it, every cell in between (tagged or not), the start of the cell that closes it; only a
  cell tagged ``skeleton`` in between stays;
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
from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor, Preprocessor

SOLUTION_TAG, SKELETON_TAG, HIDDEN_TAG = "solution", "skeleton", "remove-cell"
SOLUTION_DIRECTIVES = {"{solution}", "{solution-start}", "{solution-end}"}
_MARKDOWN = MarkdownIt("commonmark").use(colon_fence_plugin)  # ``` and ::: fences, as MyST reads them


class RemoveSolutions(Preprocessor):
    """Drop the cells tagged ``solution`` (any case) and the cells between ``{solution-start}`` and
    ``{solution-end}``; cut every solution directive, nested ones included, out of the markdown cells; drop
    a markdown cell that holds nothing else."""

    def preprocess(self, nb, resources):
        kept, inside = [], False
        for cell in nb.cells:
            tags = {str(tag).lower() for tag in cell.metadata.get("tags", [])}
            was_inside = inside
            if cell.cell_type == "markdown":
                source, inside = _without_solutions(cell.source, inside)
                if source != cell.source:
                    cell.source = source
                    if not source.strip():
                        continue
            if SOLUTION_TAG in tags or (was_inside and inside and cell.cell_type != "markdown"
                                        and SKELETON_TAG not in tags):
                continue
            kept.append(cell)
        nb.cells = kept
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
        RemoveSolutions(),
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


def _without_solutions(source: str, inside: bool = False) -> tuple[str, bool]:
    """``source`` without its solution directives, and without what lies between a ``{solution-start}`` and
    its ``{solution-end}`` (from the top of the cell when ``inside`` one already); and whether a
    ``{solution-start}`` is still open at its end."""
    lines = source.splitlines()
    cut, opened, skip_until = set(), 0 if inside else None, -1
    for name, first, end in sorted(_directives(source), key=lambda d: (d[1], -d[2])):
        if first < skip_until:
            continue  # nested in a solution already cut
        if opened is not None:
            if name == "{solution-end}":
                cut.update(range(opened, end))
                opened = None
            continue
        if name in ("{solution}", "{solution-end}"):
            cut.update(range(first, end))
            skip_until = end
        elif name == "{solution-start}":
            opened = first
    if opened is not None:
        cut.update(range(opened, len(lines)))
    if not cut:
        return source, opened is not None
    kept = [line for i, line in enumerate(lines) if i not in cut]
    return "\n".join(kept).strip("\n"), opened is not None


def _directives(source: str, offset: int = 0):
    """(name, first line, line after the last) of every fenced block in ``source``, with those nested in
    lists, block quotes and other directives (whose bodies markdown-it leaves unparsed: parsed here)."""
    for token in _MARKDOWN.parse(source):
        if token.type in ("fence", "colon_fence") and token.map:
            name = (token.info.split() or [""])[0]
            yield name, offset + token.map[0], offset + token.map[1]
            if name.startswith("{") and name.endswith("}"):
                yield from _directives(token.content, offset + token.map[0] + 1)
