"""Show the package's own code in the book: the page shows what runs, and nbval notices any drift."""

from __future__ import annotations

import inspect
import textwrap


class Source:
    """Source code that renders highlighted in a notebook and as plain text everywhere else."""

    def __init__(self, code: str, name: str):
        self.code = code
        self.name = name

    def __repr__(self) -> str:
        return self.code

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        formatter = HtmlFormatter(nowrap=False, cssclass="highlight", noclasses=True, style="default")
        return highlight(self.code, PythonLexer(), formatter)


def show_source(obj) -> Source:
    """Return the source of a function, method, class or module of rnntutor for display.

    In a notebook the last expression of a cell is shown highlighted; its plain-text form (what nbval
    compares) is the code itself, so a stored output that no longer matches the package fails the test.
    """
    try:
        code = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(
            f"show_source expects a function, class, method or module defined in Python source, "
            f"got {type(obj).__name__}: {exc}"
        ) from None
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    return Source(textwrap.dedent(code).rstrip("\n"), name)
