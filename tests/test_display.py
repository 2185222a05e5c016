import inspect

import pytest

from rnntutor import show_source
from rnntutor.runtime import seed_everything


def test_show_source_plain_text_is_the_code_itself():
    shown = show_source(seed_everything)
    assert repr(shown) == inspect.getsource(seed_everything).rstrip("\n")
    assert repr(shown).startswith("def seed_everything(seed: int) -> None:")


def test_show_source_html_is_highlighted():
    html = show_source(seed_everything)._repr_html_()
    assert "<span" in html and "seed_everything" in html


def test_show_source_refuses_what_has_no_source():
    with pytest.raises(TypeError, match="expects a function, class, method or module"):
        show_source(42)
