"""The Chinese edition (tools/translation.py): its catalogs hold every message of the English source,
each translated and none fuzzy; a translation keeps the markup of its message (maths, code, roles,
links, glued numbers) and uses the glossary's word for every term (book/glossary.md)."""

from __future__ import annotations

import collections
import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from book_files import ROOT, toc_entries

sys.path.insert(0, str(ROOT / "tools"))
import translation  # noqa: E402  (tools/translation.py)

LOCALE = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
PAGES = toc_entries()
ROLE = re.compile(r"(?<!`)\{([\w:.-]+)\}`([^`]*)`")  # (not `{solution-start}` in code)
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$")
CODE = re.compile(r"(``?)(?!`)(.+?)\1")
LINK = re.compile(r"\]\(([^)\s]+)\)")
NAME = re.compile(r"\b\w+(?:\.\w+)+\b|\b\w*_\w*\b")  # names such as rnntutor.truncated, forecast_baseline
CJK = re.compile(r"[\u4e00-\u9fff]")


def catalog(page: str):
    path = LOCALE / f"{page}.po"
    assert path.is_file(), f"no catalog for {page}: run `make catalogs` and translate {path.relative_to(ROOT)}"
    with path.open("rb") as file:
        return read_po(file)


def messages(page: str):
    return [m for m in catalog(page) if m.id]


def markup(text: str) -> collections.Counter:
    """What a translation must keep: roles (with their targets), maths, code, link targets."""
    kept = collections.Counter()
    for role, content in ROLE.findall(text):
        target = re.search(r"<([^>]+)>\s*$", content)
        kept[f"{{{role}}}" + (target.group(1) if target else content)] += 1
    text = ROLE.sub(" ", text)
    kept.update(MATH.findall(text))
    text = MATH.sub(" ", text)
    kept.update(f"`{code}`" for _, code in CODE.findall(text))
    kept.update(LINK.findall(text))
    return kept


def prose(text: str) -> str:
    """The words of a message without its markup and dotted names."""
    for pattern in (ROLE, MATH, CODE, LINK, NAME):
        text = pattern.sub(" ", text)
    return text


def glossary_rows() -> list[tuple[str, str]]:
    """(English term, Chinese word) of each row of the glossary's table."""
    rows = translation.glossary()
    assert len(rows) >= 20
    return rows


def glossary() -> list[tuple[re.Pattern, str]]:
    """(pattern of the English term, with any inflection of its last word; the Chinese word)."""
    return [(re.compile(r"\b" + r"[\s-]+".join(english.split()) + r"\w*", re.I), chinese)
            for english, chinese in glossary_rows()]


def test_catalogs_hold_every_message_of_the_source(tmp_path):
    """A paragraph added or changed in English and not yet merged (make catalogs) fails here."""
    result = subprocess.run([sys.executable, "tools/translation.py", "extract", "--pot-dir", str(tmp_path / "pot")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for page in PAGES:
        with (tmp_path / "pot" / f"{page}.pot").open("rb") as file:
            source = {m.id for m in read_po(file) if m.id}
        missing = source - {m.id for m in messages(page)}
        assert not missing, f"{page}: {len(missing)} messages not in its catalog (run `make catalogs`), e.g. " \
                            f"{sorted(missing)[0][:200]!r}"


@pytest.mark.parametrize("page", PAGES)
def test_every_message_is_translated_and_none_is_fuzzy(page):
    english_terms = {english for english, _ in glossary_rows()}
    for message in messages(page):
        assert message.string, f"{page}: untranslated: {message.id[:200]!r}"
        assert not message.fuzzy, f"{page}: fuzzy (its English changed): {message.id[:200]!r}"
        # Display maths (kept with its line breaks, unlike paragraphs) may stay as it is; so may the
        # glossary's English terms, which its Chinese page shows beside the Chinese words.
        maths = message.id.startswith("\n")
        words = re.findall(r"[A-Z]?[a-z]{2,}", prose(message.id))  # not acronyms
        if len(words) >= 4 and not maths and message.id not in english_terms:
            assert CJK.search(message.string), f"{page}: left in English: {message.id[:200]!r}"
    assert not catalog(page).obsolete, f"{page}: obsolete messages: remove them"


@pytest.mark.parametrize("page", PAGES)
def test_a_translation_keeps_the_markup_of_its_message(page):
    for message in messages(page):
        if message.string:
            assert markup(message.string) == markup(message.id), \
                f"{page}: markup changed in {message.id[:120]!r}: " \
                f"lost {list(markup(message.id) - markup(message.string))}, " \
                f"added {list(markup(message.string) - markup(message.id))}"


@pytest.mark.parametrize("page", [p for p in PAGES if p != "book/glossary"])
def test_every_term_is_translated_with_the_glossary_word(page):
    terms = glossary()
    for message in messages(page):
        if message.string:
            for english, chinese in terms:
                if english.search(prose(message.id)):
                    assert chinese in message.string, \
                        f"{page}: {english.pattern!r} is {chinese} in the glossary: {message.string[:200]!r}"


def test_markup_and_glossary_checks_can_fail():
    assert markup("the gate $f_t$ in {numref}`fig-lstm`") != markup("门 $f$ 在 {numref}`fig-lstm`")
    assert markup("see {ref}`the exercise <ex-gru-1>`") == markup("见 {ref}`练习 <ex-gru-1>`")
    assert markup("``rnntutor.setup()`` and [torch](https://pytorch.org)") == \
           markup("``rnntutor.setup()`` 和 [torch](https://pytorch.org)")
    pattern, chinese = next((p, c) for p, c in glossary() if c == "遗忘门")
    assert pattern.search("the forget-gate bias") and pattern.search("Forget gates") and chinese == "遗忘门"
    assert not pattern.search(prose("`forget_gate`"))
    assert not next(p for p, c in glossary() if c == "截断").search(prose("rnntutor.truncated"))
