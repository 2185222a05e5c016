"""rnntutor.kernels: a kernel that died as it started, because another process took one of its ports, is
started again; nbval's kernels (the root conftest.py) are started so."""

import nbval.kernel
import nbval.plugin
import pytest

from rnntutor.kernels import ATTEMPTS, DIED_AT_START, died_at_start, start_again_if_it_died


def failing(errors):
    """A start that raises each of ``errors`` in turn, then returns how many times it was called."""
    calls = []

    def start():
        calls.append(None)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return len(calls)

    return start


def test_a_kernel_that_died_as_it_started_is_started_again():
    assert start_again_if_it_died(failing([RuntimeError(DIED_AT_START)] * (ATTEMPTS - 1))) == ATTEMPTS


def test_it_gives_up_after_the_last_attempt_and_never_retries_other_errors():
    with pytest.raises(RuntimeError, match=DIED_AT_START):
        start_again_if_it_died(failing([RuntimeError(DIED_AT_START)] * ATTEMPTS))
    with pytest.raises(RuntimeError, match="No kernel is running"):
        start_again_if_it_died(failing([RuntimeError(DIED_AT_START), RuntimeError("No kernel is running!")]))
    with pytest.raises(TimeoutError):
        start_again_if_it_died(failing([TimeoutError("Kernel didn't respond in 60 seconds")]))
    with pytest.raises(ValueError, match="at least 1, got 0"):
        start_again_if_it_died(lambda: None, attempts=0)
    assert died_at_start(f"RuntimeError: {DIED_AT_START}") and not died_at_start("RuntimeError: boom")


def test_a_kernel_given_a_taken_port_dies_as_it_starts(a_taken_port, tmp_path):
    # The race is real: this is what nbval met, and what it meets without the root conftest.py.
    with pytest.raises(RuntimeError, match=DIED_AT_START):
        nbval.kernel.RunningKernel("python3", cwd=str(tmp_path))


def test_nbval_starts_a_kernel_again_when_it_lost_the_race_for_its_ports(a_taken_port, tmp_path):
    kernel = nbval.plugin.RunningKernel("python3", cwd=str(tmp_path))
    try:
        assert kernel.is_alive()
        assert a_taken_port not in kernel.km.ports
    finally:
        kernel.stop()
