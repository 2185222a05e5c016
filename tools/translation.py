"""The book's other editions, from the same source: ``python tools/translation.py extract|update|build``.

``extract`` writes every translatable message of the book (Sphinx's ``gettext`` builder, run as
Jupyter Book configures Sphinx), one template per page, into ``_build/gettext``. ``update`` extracts and
merges them into the message catalogs, ``locales/<language>/LC_MESSAGES/<page>.po`` (``sphinx-intl
update``): a new paragraph arrives untranslated, a changed one keeps its old translation marked fuzzy.
``build`` builds the edition in ``<language>`` from the catalogs, warnings as errors, in
``_build/<folder>/`` (or ``--build-dir``), and copies its pages beside the English ones, to
``_build/html/<folder>/`` (not with ``--build-dir``). tests/test_translation.py fails while a message
is missing, untranslated or fuzzy.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
from pathlib import Path

import jieba
from jupyter_book.sphinx import build_sphinx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
from editions import EDITIONS  # noqa: E402  (the book's extension: each edition's folder and title)

jieba.setLogLevel(logging.WARNING)  # it splits the Chinese search index's words; its progress log is no warning
TRANSLATED = [language for language in EDITIONS if language != "en"]
LOCALES = ROOT / "locales"
POT = ROOT / "_build" / "gettext"


def _sphinx(builder: str, output: Path, doctrees: Path, **overrides) -> int:
    """Run Sphinx on the book the way ``jupyter-book build`` does, with ``overrides`` on top."""
    return build_sphinx(
        ROOT, output, doctreedir=doctrees, use_external_toc=True, noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides={"external_toc_path": (ROOT / "_toc.yml").as_posix(), "latex_individualpages": False,
                       **overrides},
        builder=builder, warningiserror=True, keep_going=True, freshenv=False,
        verbosity=0, quiet=True, really_quiet=False)


def folder(language: str) -> str:
    """The folder of the edition in ``language`` under the English site ("zh")."""
    return EDITIONS[language][0].rstrip("/")


def glossary() -> list[tuple[str, str]]:
    """(English term, Chinese word) of each row of the glossary's table (book/glossary.md)."""
    text = (ROOT / "book" / "glossary.md").read_text()
    return re.findall(r"^\| ([a-z][a-z -]+?) \| (\S+) \|", text, re.M)


def search_terms(path: Path) -> Path:
    """Write the glossary's Chinese words as a dictionary for jieba, which splits the Chinese text of the
    search index: a reader who searches 遗忘门 finds the pages about it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{chinese} 100000 n\n" for _, chinese in glossary()))
    return path


def extract(pot_dir: Path = POT) -> int:
    """Write the book's messages, one template (``.pot``) per page, into ``pot_dir``."""
    return _sphinx("gettext", pot_dir, pot_dir.with_name(pot_dir.name + ".doctrees"))


def update(language: str) -> int:
    """Extract the book's messages and merge them into the catalogs of ``language``."""
    from sphinx_intl.basic import update as merge

    status = extract()
    if status == 0:
        merge(str(LOCALES), str(POT), [language])
    return status


def build(language: str, build_dir: Path | None = None, site: Path | None = None, builder: str = "html") -> int:
    """Build the edition in ``language`` with Sphinx's ``builder`` in ``build_dir`` and copy its pages
    into ``site``/<folder>.

    Without ``build_dir``, the edition is built in ``_build/<folder>`` and published in the English
    site, ``_build/html``; with ``build_dir`` and no ``site``, it is only built.
    """
    if build_dir is None:
        build_dir, site = ROOT / "_build" / folder(language), site or ROOT / "_build" / "html"
    # (myst-nb writes the notebooks' output files beside the output folder: not into the English site)
    status = _sphinx(builder, build_dir / builder, build_dir / ".doctrees", language=language,
                     html_search_options={"dict": str(search_terms(build_dir / "search-terms.txt"))})
    if status == 0 and site is not None:
        shutil.copytree(build_dir / builder, site / folder(language), dirs_exist_ok=True)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["extract", "update", "build"])
    parser.add_argument("--language", choices=TRANSLATED, default="zh_CN")
    parser.add_argument("--build-dir", type=Path, help="build the edition here (default: _build/<folder>)")
    parser.add_argument("--site", type=Path, help="copy its pages into SITE/<folder> (default: _build/html, "
                                                  "unless --build-dir is given)")
    parser.add_argument("--pot-dir", type=Path, default=POT, help="where extract writes (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.action == "extract":
        return extract(args.pot_dir)
    if args.action == "update":
        return update(args.language)
    return build(args.language, args.build_dir, args.site)


if __name__ == "__main__":
    sys.exit(main())
