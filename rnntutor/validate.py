"""Argument checks shared by the package: a clear error that names what was expected and what came."""

from __future__ import annotations


def check_positive_ints(owner: str | None = None, **values) -> None:
    """Raise ``ValueError`` unless every value is an int of at least 1 (``True`` and ``False`` are refused).

    ``check_positive_ints("GRU", hidden_size=0)`` raises "GRU: hidden_size must be a positive int, got 0".
    """
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            where = f"{owner}: " if owner else ""
            raise ValueError(f"{where}{name} must be a positive int, got {value!r}")
