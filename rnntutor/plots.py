"""The book's figure style: one look for every figure, readable on the page and on Colab."""

from __future__ import annotations

import matplotlib as mpl

#: The colour of each model, the same in every chapter.
MODEL_COLORS = {"RNN": "#d62728", "GRU": "#1f77b4", "LSTM": "#2ca02c", "baseline": "#7f7f7f"}

STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.autolayout": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "font.size": 10.5,  # 14.6 px at 100 dpi: no smaller than the page's small print
    "image.cmap": "viridis",
}


def apply_style() -> None:
    """Apply the book's matplotlib style (called by :func:`rnntutor.setup`); in Jupyter, also draw figures
    as PNGs at twice the size they are shown at, sharp on high-density screens (IPython's ``retina``)."""
    mpl.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")
