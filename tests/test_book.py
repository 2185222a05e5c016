"""The book itself: every chapter in the table of contents exists, is executed top to bottom with no
error output, starts with the Colab install cell and the setup call; and the book builds warning-free."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from book_files import ROOT, resolve, toc_entries, toc_notebooks

NOTEBOOKS = toc_notebooks()
CHAPTERS = [p for p in NOTEBOOKS if p.name[:2].isdigit()]


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


@pytest.mark.parametrize("entry", toc_entries())
def test_every_toc_entry_exists(entry):
    assert resolve(entry) is not None, f"{entry} is in _toc.yml but neither {entry}.ipynb nor .md exists"


def test_every_notebook_in_book_is_in_the_toc():
    listed = {p.resolve() for p in NOTEBOOKS}
    orphans = [p.name for p in sorted((ROOT / "book").glob("*.ipynb")) if p.resolve() not in listed]
    assert not orphans, f"notebooks not in _toc.yml: {orphans}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_top_to_bottom_without_errors(path):
    cells = code_cells(path)
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: execution counts {counts}"
    errors = [o.get("ename") for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name} stores error outputs: {errors}"


def tagged(path, tag):
    return [c for c in code_cells(path) if tag in c["metadata"].get("tags", [])]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_asserts_at_least_three_claims(path):
    """What the prose concludes from a measurement is asserted in a cell tagged `claim` that calls
    rnntutor.claim: its output (the statement) is the same on every machine, so nbval compares it."""
    claims = tagged(path, "claim")
    assert len(claims) >= 3, f"{path.name} has {len(claims)} claim cells, at least 3 expected"
    for cell in claims:
        source = "".join(cell["source"])
        assert "claim(" in source, f"{path.name}: a claim cell that asserts nothing:\n{source}"
        assert "nbval-ignore-output" not in cell["metadata"]["tags"], f"{path.name}: a claim cell's output is ignored"
        printed = "".join("".join(o["text"]) for o in cell["outputs"] if o["output_type"] == "stream")
        assert printed.startswith("✓ "), f"{path.name}: a claim cell stores no statement:\n{source}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_a_cell_tagged_timing_is_a_claim_cell(path):
    """`make device-check` leaves the cells tagged `timing` out (claims about speed, which the stand-in device
    distorts); only a claim cell, which defines nothing that later cells use, may be left out."""
    for cell in tagged(path, "timing"):
        assert "claim" in cell["metadata"]["tags"], f"{path.name}: a timing cell that is not a claim:\n{cell['source']}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_colab_install_and_setup(path):
    first, second = ("".join(c["source"]) for c in code_cells(path)[:2])
    assert 'if "google.colab" in sys.modules:' in first
    assert "rnntutor @ git+https://github.com/" in first  # tests/test_repository_url.py checks the reference
    assert "rnntutor.setup(" in second


def test_book_builds_without_warnings(tmp_path):
    """Sphinx warnings are errors (-W): a broken reference, citation or toc entry fails here."""
    result = subprocess.run(
        [Path(sys.executable).with_name("jupyter-book"), "build", str(ROOT), "-W", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert (ROOT / "_build" / "html" / "index.html").is_file()
