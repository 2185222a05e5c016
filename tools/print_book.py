"""The whole book as one PDF, for download and print: ``python tools/print_book.py [--output FILE]``.

Jupyter Book builds every page into one HTML page (Sphinx's ``singlehtml`` builder, into
``_build/singlehtml``); headless Chromium, the one the browser test drives, opens it, waits until MathJax
has typeset every formula, opens every solution drop-down and prints the page with its print style sheet.
The default output, ``_build/html/rnntutor.pdf``, is the file the front page links to, so run this after
``jupyter-book build .`` (``make book`` does both). ``--language zh_CN`` prints the Chinese edition
(tools/translation.py) to ``_build/html/zh/rnntutor.pdf``, which its front page links to.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import translation  # tools/translation.py: the other editions

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
# Solutions sit in toggled admonitions (sphinx-togglebutton): show their bodies and drop the buttons.
OPEN_SOLUTIONS = """() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.dropdown').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button').forEach(e => e.remove());
}"""
TYPESET = "() => window.MathJax?.startup?.promise?.then(() => true)"


def build_single_page(path_output: Path, language: str) -> Path:
    """Build the book (in ``language``) as one HTML page under ``path_output``; return the page.

    Sphinx writes the page as ``book/intro.html`` (the root document's name) but with links relative to
    the build's top folder, where ``_static/`` and ``_images/`` lie: a copy there reads them."""
    folder = path_output / "_build" / "singlehtml"
    if language == "en":
        result = subprocess.run(
            [Path(sys.executable).with_name("jupyter-book"), "build", str(ROOT), "--builder", "singlehtml",
             "--path-output", str(path_output), "-W", "--keep-going"],
            capture_output=True, text=True, cwd=ROOT,
        )
        failed = result.returncode != 0 and f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
    else:
        folder = path_output / "_build" / translation.folder(language) / "singlehtml"
        failed = translation.build(language, folder.parent, builder="singlehtml") != 0 and "(see above)"
    if failed:
        sys.exit(f"the single-page build failed:\n{failed}")
    page = folder / "book.html"
    shutil.copyfile(folder / "book" / "intro.html", page)
    return page


def print_page(page_path: Path, output: Path, chromium: str) -> int:
    """Print the page at ``page_path`` to the PDF ``output`` with Chromium; return its size in bytes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(page_path.as_uri(), wait_until="load")
        if not page.wait_for_function(TYPESET, timeout=120_000):
            sys.exit("MathJax did not finish typesetting the single page")
        page.evaluate(OPEN_SOLUTIONS)
        page.emulate_media(media="print")
        output.parent.mkdir(parents=True, exist_ok=True)
        page.pdf(path=str(output), format="A4", print_background=True,
                 margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        browser.close()
    return output.stat().st_size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=list(translation.EDITIONS), default="en",
                        help="the edition to print (default: %(default)s)")
    parser.add_argument("--output", type=Path,
                        help="the PDF to write (default: rnntutor.pdf in the edition's site folder, "
                             "_build/html/ or _build/html/zh/, where its front page links to it)")
    parser.add_argument("--path-output", type=Path, default=ROOT,
                        help="where the single-page build goes, as jupyter-book's --path-output (default: .)")
    args = parser.parse_args(argv)
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("printing the book needs Debian's chromium (apt-get install chromium), or set CHROMIUM=/path")
    if not (ROOT / "_mathjax" / "node_modules" / "mathjax").is_dir():
        sys.exit("printing the book needs MathJax: npm ci --prefix _mathjax")
    folder = "" if args.language == "en" else translation.folder(args.language)
    output = args.output or ROOT / "_build" / "html" / folder / "rnntutor.pdf"
    page = build_single_page(args.path_output, args.language)
    size = print_page(page, output, chromium)
    print(f"The book as a PDF ({size / 1e6:.1f} MB) is at {output}")


if __name__ == "__main__":
    main()
