"""Self-checks for the exercises: each compares a reader's function with the package's and says what is
wrong (a shape, the order of the gates, a missing bias, the precision), not only that it is wrong.

Every check returns a :class:`CheckResult`, which prints as one line starting with ✓ or ✗ and is true
only when the check passed, so ``assert check_lstm_step(lstm_step)`` works in a test.
"""

from .bptt import check_state_gradients
from .cells import check_gru_step, check_lstm_step, check_rnn_step
from .forecast import check_seasonal_naive, check_windows
from .memory import check_adding_target
from .result import CheckResult
from .sampling import check_sampling_probabilities
from .sharing import check_whh_gradient
from .unrolling import check_rnn_forward
from .window_model import check_last_window

__all__ = [
    "CheckResult",
    "check_adding_target",
    "check_gru_step",
    "check_last_window",
    "check_lstm_step",
    "check_rnn_forward",
    "check_rnn_step",
    "check_sampling_probabilities",
    "check_seasonal_naive",
    "check_state_gradients",
    "check_whh_gradient",
    "check_windows",
]
