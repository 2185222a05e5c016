"""What the book concludes from a measurement, asserted where it is made, and numbers glued into the prose.

A chapter states a claim in words and checks it in the next cell::

    claim(wins >= 9, "the GRU beats the window model at every length on at least 9 of 10 seeds")

The cell prints the statement with a check mark, the same on every machine, so nbval compares it strictly;
a change that makes the statement false stops the notebook with an ``AssertionError`` that quotes it.
:func:`glue` stores a measured number for the text around it (myst-nb's ``{glue:text}`` role), so the prose
never repeats a number that a stored output contradicts.
"""

from __future__ import annotations

__all__ = ["ClaimError", "claim", "glue"]

# The output type that myst-nb reads glued values from (myst_nb.ext.glue.GLUE_PREFIX).
_GLUE_PREFIX = "application/papermill.record/"


class ClaimError(AssertionError):
    """A statement of the book does not hold for this run."""


def claim(holds, statement: str) -> None:
    """Print ``✓ statement`` when ``holds`` is true; otherwise raise :class:`ClaimError` quoting it."""
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"statement must be a non-empty str, got {statement!r}")
    if not bool(holds):
        raise ClaimError(f"the book claims that {statement}, but this run does not show it")
    print(f"✓ {statement}")


def glue(name: str, value, fmt: str = "") -> None:
    """Store ``format(value, fmt)`` under ``name`` for the prose (``{glue:text}`name```), showing nothing.

    The same output that ``myst_nb.glue(name, text, display=False)`` writes, without needing myst-nb where
    the notebook runs (Colab).
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier such as 'rmse_lstm', got {name!r}")
    from IPython.display import display

    text = format(value, fmt)
    display({_GLUE_PREFIX + "text/plain": repr(text)}, raw=True,
            metadata={"scrapbook": {"name": name, "mime_prefix": _GLUE_PREFIX}})
