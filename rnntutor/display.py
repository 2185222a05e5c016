"""Show the package's own code in the book: the page shows what runs, and nbval notices any drift.

The code is shown without its docstrings: they are written for the API reference (reST, with ``:math:``
roles) and would reach a reader as raw markup; the chapter around the code says what it computes.
"""

from __future__ import annotations

import ast
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
        """Pygments' token classes, which the book's theme colours for light and dark mode alike."""
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        return highlight(self.code, PythonLexer(), HtmlFormatter(cssclass="highlight"))


def without_docstrings(code: str) -> str:
    """``code`` with the docstring of every function and class in it removed (comments stay)."""
    lines = code.splitlines()
    drop = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str) and len(node.body) > 1:
                drop.update(range(first.lineno - 1, first.end_lineno))
    return "\n".join(line for number, line in enumerate(lines) if number not in drop)


def show_source(obj) -> Source:
    """Return the source of a function, method, class or module of rnntutor for display, without its
    docstrings.

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
    return Source(without_docstrings(textwrap.dedent(code)).rstrip("\n"), name)
