"""The reference pages at the end of the book: the API page documents every public module of rnntutor,
and the API page and the bibliography stay the last two entries of _toc.yml (chapters go above them)."""

import re

from book_files import ROOT, toc_entries

PACKAGE = ROOT / "rnntutor"


def public_modules():
    """rnntutor and its modules and subpackages whose names do not start with an underscore."""
    modules = {"rnntutor"}
    for path in PACKAGE.iterdir():
        if path.name.startswith("_"):
            continue
        if path.suffix == ".py" or (path / "__init__.py").is_file():
            modules.add(f"rnntutor.{path.stem}")
    return modules


def test_api_page_documents_every_public_module():
    documented = set(re.findall(r"^\.\. automodule:: (\S+)", (ROOT / "book" / "api.md").read_text(), re.M))
    missing, stale = public_modules() - documented, documented - public_modules()
    assert not missing, (
        f"book/api.md lacks {sorted(missing)}: add a section with\n"
        "```{eval-rst}\n.. automodule:: rnntutor.NAME\n   :members:\n```"
    )
    assert not stale, f"book/api.md documents modules that do not exist: {sorted(stale)}"


def test_api_and_bibliography_close_the_table_of_contents():
    last = toc_entries()[-2:]
    assert last == ["book/api", "book/bibliography"], (
        f"_toc.yml ends with {last}: chapters go above book/api and book/bibliography"
    )
