"""Start a Jupyter kernel again when it dies as it starts: for the book's tests, its runner and the grader.

jupyter_client chooses a new kernel's five ports by binding each to port 0 and letting it go; until the
kernel binds them itself, another process may take one (jupyter/jupyter_client#487: two kernels started
at once, or any outgoing connection). The kernel then exits at once and the client reports "Kernel died
before replying to kernel_info". No cell has run, so starting again, with new ports, is safe; any other
failure is raised as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ATTEMPTS = 3  # a lost race is rare; three in a row would be a kernel that cannot start at all
DIED_AT_START = "Kernel died before replying to kernel_info"

T = TypeVar("T")


def died_at_start(error: BaseException | str) -> bool:
    """Whether ``error`` (an exception, or the last line a process printed) says a kernel died as it started."""
    return DIED_AT_START in str(error)


def start_again_if_it_died(start: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Call ``start`` (which starts a kernel, and may run a notebook in it) up to ``attempts`` times, again
    only while it raises because the kernel died as it started; return what it returns."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for _ in range(attempts - 1):
        try:
            return start()
        except RuntimeError as error:
            if not died_at_start(error):
                raise
    return start()
