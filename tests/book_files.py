"""The files of the book, as the table of contents lists them (shared by the tests of the book)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_entries() -> list[str]:
    """Every file of _toc.yml, root first, in reading order, without its suffix (e.g. "book/01_why_rnns")."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]
    stack = list(toc.get("chapters", [])) + [c for part in toc.get("parts", []) for c in part["chapters"]]
    while stack:
        entry = stack.pop(0)
        entries.append(entry["file"])
        stack.extend(entry.get("sections", []))
    return entries


def resolve(entry: str) -> Path | None:
    """The .ipynb or .md file of a toc entry, or None when neither exists."""
    for suffix in (".ipynb", ".md"):
        if (ROOT / (entry + suffix)).is_file():
            return ROOT / (entry + suffix)
    return None


def toc_notebooks() -> list[Path]:
    """The chapter notebooks listed in _toc.yml, in reading order."""
    return [p for p in map(resolve, toc_entries()) if p is not None and p.suffix == ".ipynb"]
