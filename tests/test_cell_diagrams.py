"""The GRU and LSTM diagrams hold the parts of their equations, and the LSTM's cell state runs on top."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch  # noqa: E402

from rnntutor.cell_diagrams import draw_gru_cell, draw_lstm_cell  # noqa: E402
from rnntutor.plots import STYLE  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig):
    return Counter(t.get_text() for ax in fig.axes for t in ax.texts)


def test_the_gru_has_two_sigmoid_gates_one_tanh_and_its_pointwise_operations():
    found = texts(draw_gru_cell())
    assert found["σ"] == 2 and found["tanh"] == 1
    assert found["×"] == 3 and found["+"] == 1 and found["1−"] == 1
    for symbol in ("$z_t$", "$r_t$", "$n_t$", "$h_{t-1}$", "$x_t$", "$1-z_t$"):
        assert found[symbol] >= 1, symbol
    assert found["$h_t$"] == 2  # to the next step and to the layer above


def test_the_lstm_has_three_sigmoid_gates_two_tanh_and_its_pointwise_operations():
    found = texts(draw_lstm_cell())
    assert found["σ"] == 3 and found["tanh"] == 2  # the layer g_t and the pointwise tanh(c_t)
    assert found["×"] == 3 and found["+"] == 1
    for symbol in ("$f_t$", "$i_t$", "$g_t$", "$o_t$", "$c_{t-1}$", "$c_t$", "$h_{t-1}$", "$x_t$"):
        assert found[symbol] == 1, symbol


def test_the_lstm_cell_state_is_the_top_line():
    fig = draw_lstm_cell()
    ax = fig.axes[0]
    state = [line for line in ax.lines if line.get_gid() == "cell-state"]
    assert len(state) == 3
    heights = {y for line in state for y in line.get_ydata()}
    assert len(heights) == 1
    (top,) = heights
    centres = [p.center[1] for p in ax.patches if isinstance(p, Circle)]
    boxes = [p.get_y() + p.get_height() for p in ax.patches if isinstance(p, FancyBboxPatch) and p.get_zorder() == 3]
    assert len(boxes) == 4 and max(centres + boxes) <= top
    others = [y for line in ax.lines if line.get_gid() != "cell-state" for y in line.get_ydata()]
    assert sum(y > top for y in others) == 1  # only the copy of h_t that leaves upwards


@pytest.mark.parametrize("draw", [draw_gru_cell, draw_lstm_cell])
def test_draws_into_the_axes_it_is_given(draw):
    fig, (left, right) = plt.subplots(1, 2)
    assert draw(ax=right) is fig
    assert right.texts and not left.texts


def test_no_line_of_the_lstm_crosses_the_cell_state():
    """A line that crossed c would read as if c_t fed it; h_t goes up right of where c_t ends."""
    ax = draw_lstm_cell().axes[0]
    state = [line for line in ax.lines if line.get_gid() == "cell-state"]
    (top,) = {y for line in state for y in line.get_ydata()}
    left = min(x for line in state for x in line.get_xdata())
    right = max(x for line in state for x in line.get_xdata())
    for line in ax.lines:
        if line.get_gid() == "cell-state":
            continue
        points = list(zip(line.get_xdata(), line.get_ydata(), strict=True))
        for (x0, y0), (x1, y1) in pairwise(points):
            if x0 == x1 and min(y0, y1) < top < max(y0, y1):
                assert not left <= x0 <= right, f"a vertical line at x = {x0} crosses the cell state"


@pytest.mark.parametrize("draw", [draw_gru_cell, draw_lstm_cell])
def test_fits_the_book_column_with_text_no_smaller_than_the_style(draw):
    """The book's column shows 7.5 inches; a wider figure is shrunk, and its text with it."""
    fig = draw()
    assert fig.get_size_inches()[0] <= 7.5
    texts = [t for ax in fig.axes for t in [*ax.texts, ax.title] if t.get_text()]
    sizes = [t.get_fontsize() for t in texts]
    assert min(sizes) >= STYLE["font.size"]
