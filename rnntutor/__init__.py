"""rnntutor: recurrent networks written from their equations, equal to torch.nn number for number.

The package behind the rnntutor book. ``device = rnntutor.setup()`` starts every chapter.
"""

from .cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell
from .data import DataError, load_airline, read_series
from .display import show_source
from .layers import GRU, LSTM, RNN
from .runtime import pick_device, seed_everything, setup

__version__ = "0.1.0"

__all__ = [
    "ChoGRUCell",
    "DataError",
    "GRU",
    "GRUCell",
    "LSTM",
    "LSTMCell",
    "RNN",
    "RNNCell",
    "load_airline",
    "pick_device",
    "read_series",
    "seed_everything",
    "setup",
    "show_source",
]
