"""rnntutor: recurrent networks written from their equations, equal to torch.nn number for number.

The package behind the rnntutor book. ``device = rnntutor.setup()`` starts every chapter.
"""

from .baselines import all_baselines
from .cells import ChoGRUCell, GRUCell, LSTMCell, RNNCell
from .claims import claim, glue
from .data import DataError, load_airline, read_series
from .display import show_source
from .ensemble import Ensemble
from .forecast import RecurrentForecaster, fit_forecaster, windows
from .layers import GRU, LSTM, RNN
from .metrics import Forecasts, evaluation_table, mae, mape, rmse
from .runtime import generator, pick_device, seed_everything, seed_offset, seeds, setup
from .train import History, fit

__version__ = "0.1.0"

__all__ = [
    "Ensemble",
    "claim",
    "generator",
    "glue",
    "seed_offset",
    "seeds",
    "Forecasts",
    "History",
    "RecurrentForecaster",
    "all_baselines",
    "evaluation_table",
    "fit",
    "fit_forecaster",
    "mae",
    "mape",
    "rmse",
    "windows",
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
