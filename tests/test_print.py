"""The book as a PDF (tools/print_book.py), in English and in Chinese: every chapter in it, every solution
printed open, every formula typeset, and code wrapped at the page's edge instead of cut off."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from book_files import ROOT, toc_entries

pypdf = pytest.importorskip("pypdf")


# language -> (where print_book.py builds its single page under --path-output, a solution's printed title)
EDITIONS = {"en": ("singlehtml", r"Solution to Exercise \d+\.\d+"),
            "zh_CN": ("zh/singlehtml", r"解答\s*练习\s*\d+\.\d+")}


@pytest.fixture(scope="module", params=list(EDITIONS))
def printed(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    pdf = out / "book.pdf"
    result = subprocess.run([sys.executable, "tools/print_book.py", "--language", request.param,
                             "--output", str(pdf), "--path-output", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    folder, solution = EDITIONS[request.param]
    page = (out / "_build" / folder / "book.html").read_text()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    return page, re.sub(r"\s+", " ", text), solution


def test_every_chapter_is_in_the_pdf(printed):
    _, text, _ = printed
    chapters = [entry for entry in toc_entries() if entry.startswith("book/") and entry[5:7].isdigit()]
    assert chapters
    for number, _ in enumerate(chapters, start=1):
        assert re.search(rf"\b{number}\.1\. ", text), f"section {number}.1 of chapter {number} is not in the PDF"


def test_every_solution_is_printed_open(printed):
    page, text, solution = printed
    solutions = len(re.findall(r'class="solution dropdown admonition"', page))
    assert solutions > 10
    assert len(re.findall(solution, text)) == solutions
    assert "Click to show" not in text


def test_formulas_are_typeset_not_raw_tex(printed):
    _, text, _ = printed
    assert "\\frac" not in text and "$$" not in text


def test_long_code_lines_wrap_instead_of_being_cut_off(printed):
    page, text, _ = printed
    import html

    lines = [html.unescape(re.sub(r"<[^>]+>", "", line)) for pre in re.findall(r"<pre>(.*?)</pre>", page, re.S)
             for line in pre.splitlines()]
    long_lines = [line for line in lines if len(line) > 100]
    assert long_lines, "the book should have code lines longer than a printed line"
    squeezed = re.sub(r"\s+", "", text)
    ends = [re.sub(r"\s+", "", line)[-12:] for line in long_lines]
    missing = [end for end in ends if end not in squeezed]
    assert len(missing) <= len(ends) // 10, f"ends of long code lines cut off: {missing[:5]}"


def test_each_front_page_links_to_the_pdf_that_make_book_writes():
    """make book prints both editions, each into its site folder (_build/html/, _build/html/zh/), where
    its front page (book/intro.html) links to ../rnntutor.pdf."""
    recipe = (ROOT / "Makefile").read_text().split("\nbook:")[1].split("\n\n")[0]
    assert "tools/print_book.py\n" in recipe and "tools/print_book.py --language zh_CN" in recipe
    source = (ROOT / "tools" / "print_book.py").read_text()
    assert 'ROOT / "_build" / "html" / folder / "rnntutor.pdf"' in source
    assert 'href="../rnntutor.pdf"' in (ROOT / "book" / "intro.md").read_text()
    with (ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "intro.po").open("rb") as file:
        link = [m for m in read_po(file) if 'href="../rnntutor.pdf"' in m.id]
    assert link and all('href="../rnntutor.pdf"' in m.string for m in link)
