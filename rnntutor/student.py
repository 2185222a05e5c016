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
- outputs, execution counts and cell metadata other than tags are cleared;
- what only the book renders is written as plain Markdown, since Jupyter and Colab would show it raw:
  ``{exercise}`` and other directives become a bold heading ("**Exercise 2.**") and their text;
  ``{cite}`key``` the authors and year from ``references.bib`` ("(Hochreiter and Schmidhuber, 1997)");
  ``{glue:text}`name``` the value the notebook glued under that name (read before the outputs go);
  ``{ref}`` to an exercise its number, ``{doc}`` the title of the page it names.

nbconvert's preprocessors do the work: its own for tags, outputs and metadata, three small ones here.
"""

from __future__ import annotations

import ast
import copy
import re
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


class PlainMarkdown(Preprocessor):
    """Write MyST directives and roles as plain Markdown (see the module's docstring). ``references``:
    {key: "Authors, year"}; ``folder``: where the pages that ``{doc}`` names lie."""

    def __init__(self, references: dict | None = None, folder: Path | None = None, **kwargs):
        super().__init__(**kwargs)
        self.references, self.folder = references or {}, folder

    def preprocess(self, nb, resources):
        glued = glued_values(nb)
        labels, number = {}, 0
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for name, first, end in _directives(cell.source):
                    if name == "{exercise}":
                        number += 1
                        label = _options(cell.source.splitlines()[first + 1:end - 1]).get("label")
                        if label:
                            labels[label] = f"Exercise {number}"
        counter = iter(range(1, number + 1))
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _plain_roles(_plain_directives(cell.source, counter), glued, self.references, labels,
                                           self.folder)
        return nb, resources


def glued_values(nb) -> dict[str, str]:
    """{name: the text of the value} of everything the notebook's outputs glued (myst-nb's glue)."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record and "name" in record:
                text = output.get("data", {}).get(record.get("mime_prefix", "") + "text/plain")
                if text is not None:
                    try:
                        value = ast.literal_eval(text)
                    except (ValueError, SyntaxError):
                        value = text
                    values[record["name"]] = value
    return values


def read_references(path) -> dict[str, str]:
    """{key: "Authors, year"} from a BibTeX file: one author by last name, two joined by "and", more as
    "First et al."."""
    text, references = Path(path).read_text(encoding="utf-8"), {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S):
        key, body = match.groups()
        fields = {name.lower(): value for name, value in
                  re.findall(r"(\w+)\s*=\s*[{\"]((?:[^{}]|\{[^{}]*\})*)[}\"]", body)}
        names = [n.strip() for n in re.split(r"\s+and\s+", fields.get("author", "").replace("{", "").replace("}", ""))
                 if n.strip()]
        last = [n.split(",")[0].strip() if "," in n else n.split()[-1] for n in names]
        authors = (" and ".join(last) if len(last) <= 2 else f"{last[0]} et al.") or key
        references[key] = f"{authors}, {fields.get('year', 'n.d.')}"
    return references


def student_notebook(nb: nbformat.NotebookNode, references: dict | None = None,
                     folder: Path | None = None) -> nbformat.NotebookNode:
    """A copy of ``nb`` without its solutions, with its stubs shown, its MyST in plain Markdown and its
    outputs cleared (``references`` and ``folder``: see PlainMarkdown)."""
    preprocessors = [
        RemoveSolutions(),
        ShowSkeletons(),
        PlainMarkdown(references=references, folder=folder),
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
        bib = next((f / "references.bib" for f in (path.parent, path.parent.parent)
                    if (f / "references.bib").is_file()), None)
        student = student_notebook(nbformat.read(path, as_version=4), read_references(bib) if bib else None,
                                   path.parent)
        nbformat.write(student, output_dir / path.name)
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


# A role, or code (a fenced block, an inline span) in which nothing is a role.
_ROLE = re.compile(r"(`{3,})[\s\S]*?\1|`[^`\n]+`|\{([\w:-]+)\}`([^`]*)`")


def _plain_roles(source: str, glued: dict, references: dict, labels: dict, folder: Path | None) -> str:
    def plain(match):
        _, role, text = match.groups()
        if role is None:
            return match.group(0)
        if role.startswith("glue"):
            name, _, spec = text.partition(":")
            value = glued.get(name, name)
            return format(value, spec) if spec and not isinstance(value, str) else str(value)
        if role.startswith("cite"):
            cited = [references.get(k.strip(), k.strip()) for k in text.split(",")]
            authors, _, year = cited[0].rpartition(", ")
            if len(cited) == 1 and authors and source[:match.start()].rstrip().endswith(authors):
                return f"({year})"  # "Cho et al. {cite}`cho2014`": the names are in the sentence already
            return "(" + "; ".join(cited) + ")"
        if role in ("ref", "numref", "doc"):
            explicit = re.fullmatch(r"(.*?)\s*<(.+)>", text, re.S)
            if explicit:
                return explicit.group(1)
            return (_title(folder, text) or text) if role == "doc" else labels.get(text, text)
        if role == "math":
            return f"${text}$"
        return text

    return _ROLE.sub(plain, source)


def _plain_directives(source: str, counter) -> str:
    """Each directive (``{exercise}``, ``{note}``, ...) as a bold heading and its text, nested ones too."""
    lines = source.splitlines()
    blocks = [(first, end, name) for name, first, end in _directives(source)
              if name.startswith("{") and name.endswith("}") and not _inside_other(first, source)]
    numbers = {first: next(counter, "") for first, _, name in sorted(blocks) if name == "{exercise}"}
    for first, end, name in sorted(blocks, reverse=True):
        indent = re.match(r"[\s>]*", lines[first]).group(0)
        opener = lines[first].strip(" >").lstrip("`:").strip()
        title = opener[len(name):].strip()
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip(" >") for line in lines[first + 1:end]]
        if body and re.fullmatch(r"\s*(`{3,}|:{3,})\s*", body[-1]):
            body = body[:-1]
        while body and re.match(r"\s*:[\w-]+:", body[0]):
            body = body[1:]
        kind = name.strip("{}").split(":")[-1].replace("-", " ").capitalize()
        if kind == "Admonition" and title:
            kind, title = title, ""
        if kind == "Exercise":
            kind = f"Exercise {numbers[first]}".strip()
            title = ""  # the label, not a title
        heading = f"**{kind}{f' ({title})' if title else ''}.**"
        text = _plain_directives("\n".join(body), counter).splitlines()
        if text and re.match(r"[A-Za-z(]", text[0]):
            text[0] = f"{heading} {text[0]}"
        else:
            text = [heading, "", *text]
        lines[first:end] = [indent + line if line else indent.rstrip() for line in text]
    return "\n".join(lines)


def _inside_other(first: int, source: str) -> bool:
    """Whether the block starting at line ``first`` lies inside another block of ``source``."""
    return any(a < first < b for _, a, b in _directives(source))


def _options(lines) -> dict[str, str]:
    options = {}
    for line in lines:
        match = re.match(r"\s*:([\w-]+):\s*(.*)", line)
        if not match:
            break
        options[match.group(1)] = match.group(2).strip()
    return options


def _title(folder: Path | None, name: str) -> str | None:
    """The first heading of the page ``name`` (a notebook or Markdown file in ``folder``)."""
    if folder is None:
        return None
    for path in (folder / f"{name}.ipynb", folder / f"{name}.md", folder / name):
        if path.is_file():
            cells = nbformat.read(path, as_version=4).cells if path.suffix == ".ipynb" else \
                [nbformat.v4.new_markdown_cell(path.read_text())]
            for cell in cells:
                match = re.search(r"^#\s+(.+)$", cell.source, re.M) if cell.cell_type == "markdown" else None
                if match:
                    return match.group(1).strip()
    return None
