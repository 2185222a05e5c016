"""Every figure in the book has alternative text, for readers who cannot see it.

A code cell's image output gets its alt text from the cell's metadata, which myst-nb writes into <img alt>:
``{"mystnb": {"image": {"alt": "Training loss of RNN, GRU and LSTM against epoch ..."}}}``. An image in
markdown needs a non-empty ``![alt](path)``. tests/test_browser.py checks the same on the built pages.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))
EMPTY_MARKDOWN_ALT = re.compile(r"!\[\s*\]\(")


def cell_alt(cell):
    return ((cell.get("metadata", {}).get("mystnb") or {}).get("image") or {}).get("alt", "")


def shows_image(cell):
    return any(key.startswith("image/") for out in cell.get("outputs", []) for key in out.get("data", {}))


def first_line(cell):
    return "".join(cell["source"]).strip().splitlines()[0][:70]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_of_a_notebook_has_alt_text(path):
    cells = json.loads(path.read_text())["cells"]
    missing = [
        f"cell {index} ({first_line(cell)!r})"
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "code" and shows_image(cell) and not str(cell_alt(cell)).strip()
    ]
    assert not missing, (
        f"{path.name}: figures without alt text in {missing}; add cell metadata "
        '{"mystnb": {"image": {"alt": "what the figure shows"}}}'
    )


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES, ids=lambda p: p.name)
def test_every_markdown_image_has_alt_text(path):
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = path.read_text()
    assert not EMPTY_MARKDOWN_ALT.search(text), f"{path.name}: an image ![](...) without alt text"


def test_the_check_sees_a_figure_without_alt_text():
    """The rule itself: an image output without the metadata is found, one with it passes."""
    figure = {"cell_type": "code", "metadata": {}, "source": ["plt.plot(x)"],
              "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}]}
    assert shows_image(figure) and not cell_alt(figure)
    figure["metadata"]["mystnb"] = {"image": {"alt": "A line rising from 0 to 1."}}
    assert cell_alt(figure) == "A line rising from 0 to 1."
