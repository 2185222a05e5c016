"""What a reader meets in every chapter: a header that says what the chapter teaches, what to read first
and how long it takes; numbered figures with captions; code cells no wider than the column; and the
whole repository clean under ruff (book/ruff.toml: 88 characters a line in the chapters)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from book_files import ROOT, toc_notebooks

CHAPTERS = [p for p in toc_notebooks() if p.name[:2].isdigit()]


def cells(path):
    return json.loads(path.read_text())["cells"]


def shows_image(cell):
    return any(key.startswith("image/") for out in cell.get("outputs", []) for key in out.get("data", {}))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_opens_with_what_it_teaches_what_to_read_first_and_its_time(path):
    first = "".join(cells(path)[0]["source"])
    assert first.startswith("# "), f"{path.name}: the first cell should start with the chapter's title"
    box = re.search(r"```\{admonition\} In this chapter\n(.*?)```", first, re.S)
    assert box, f"{path.name}: no 'In this chapter' box in the first cell"
    for part in ("**You will be able to**", "**Read first:**", "**Time:**", "{sub-ref}`wordcount-minutes`"):
        assert part in box.group(1), f"{path.name}: the header box lacks {part}"


def test_every_figure_is_numbered_with_a_caption_and_a_unique_name():
    names = {}
    for path in CHAPTERS:
        for cell in cells(path):
            if cell["cell_type"] != "code" or not shows_image(cell):
                continue
            figure = (cell["metadata"].get("mystnb") or {}).get("figure") or {}
            where = f"{path.name}: the figure of the cell starting {''.join(cell['source'])[:60]!r}"
            assert len(figure.get("caption", "").split()) >= 5, f"{where} has no caption"
            name = figure.get("name", "")
            assert name.startswith("fig-"), f"{where} has no name fig-... to refer to it by"
            assert name not in names, f"{where} has the name {name} of a figure in {names.get(name)}"
            names[name] = path.name
    assert names


def test_the_text_refers_to_figures_by_number_only_to_figures_that_exist():
    names, references = set(), set()
    for path in CHAPTERS:
        for cell in cells(path):
            figure = (cell["metadata"].get("mystnb") or {}).get("figure") or {}
            names.add(figure.get("name"))
            if cell["cell_type"] == "markdown":
                references.update(re.findall(r"\{numref\}`(fig-[^`<]+)`", "".join(cell["source"])))
    assert references, "the text should refer to its figures by number"
    assert references <= names, f"references to figures that do not exist: {sorted(references - names)}"


def test_ruff_is_clean_and_chapter_code_fits_the_column():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([ruff, "check", "--no-cache", "."], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-4000:]


SMALL_FONT = re.compile(r"fontsize\s*=\s*(?:[\"'](?:xx?-small|small|smaller)[\"']|[0-9](?:\.[0-9]+)?\b)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_figure_text_is_set_smaller_than_the_style(path):
    """The style's 10.5 pt is the smallest text a figure has (tests/test_browser.py shows it unshrunk)."""
    for cell in cells(path):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            assert not SMALL_FONT.search(source), f"{path.name}: a font smaller than 10 pt in:\n{source[:300]}"
