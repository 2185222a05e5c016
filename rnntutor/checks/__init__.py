"""Self-checks for the exercises: each compares a reader's function with the package's and says what is
wrong (a shape, the order of the gates, a missing bias, the precision), not only that it is wrong.

Every check returns a :class:`CheckResult`, which prints as one line starting with ✓ or ✗ and is true
only when the check passed, so ``assert check_lstm_step(lstm_step)`` works in a test.
"""

from .cells import check_gru_step, check_lstm_step, check_rnn_step
from .result import CheckResult

__all__ = ["CheckResult", "check_gru_step", "check_lstm_step", "check_rnn_step"]
from .window_model import check_last_window  # noqa: E402

__all__ += ["check_last_window"]
from .bptt import check_state_gradients  # noqa: E402
from .sharing import check_whh_gradient  # noqa: E402
from .unrolling import check_rnn_forward  # noqa: E402

__all__ += ["check_rnn_forward", "check_state_gradients", "check_whh_gradient"]
from .memory import check_adding_target  # noqa: E402

__all__ += ["check_adding_target"]
