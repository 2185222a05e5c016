import inspect

import pytest

from rnntutor import show_source
from rnntutor.cells import LSTMCell
from rnntutor.display import without_docstrings
from rnntutor.runtime import seed_everything


def test_show_source_plain_text_is_the_code_without_its_docstring():
    shown = repr(show_source(seed_everything))
    code = inspect.getsource(seed_everything)
    assert shown.startswith("def seed_everything(seed: int) -> None:")
    assert inspect.getdoc(seed_everything).splitlines()[0] not in shown
    assert all(line in code for line in shown.splitlines())
    assert shown.splitlines()[-1] == code.rstrip("\n").splitlines()[-1]


def test_a_class_loses_every_docstring_and_no_reST_reaches_the_reader():
    shown = repr(show_source(LSTMCell))
    assert "class LSTMCell" in shown and "def step" in shown
    for markup in (":math:", "``", ".. math::", ":class:", '"""'):
        assert markup not in shown, f"{markup} shown"
    compile(shown, "<shown>", "exec")  # still valid Python


def test_comments_and_a_body_that_is_only_a_docstring_stay():
    code = 'def f():\n    """Only a docstring."""\n\n\ndef g(x):\n    """Doc."""\n    # keep me\n    return x\n'
    expected = 'def f():\n    """Only a docstring."""\n\n\ndef g(x):\n    # keep me\n    return x'
    assert without_docstrings(code) == expected


def test_show_source_html_uses_the_theme_colours():
    html = show_source(seed_everything)._repr_html_()
    assert '<div class="highlight">' in html and "seed_everything" in html
    assert "style=" not in html, "inline colours ignore the reader's light or dark mode"


def test_show_source_refuses_what_has_no_source():
    with pytest.raises(TypeError, match="expects a function, class, method or module"):
        show_source(42)
