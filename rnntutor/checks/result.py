"""The outcome of a self-check: passed or not, and one sentence that says why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """``passed`` and a ``message``; prints as ``✓ message`` or ``✗ message``, true only when passed."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✓ " if self.passed else "✗ ") + self.message

    __str__ = __repr__
