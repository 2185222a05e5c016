"""Diagrams of the gated cells, drawn with matplotlib: the GRU (chapter 5) and the LSTM (chapter 6).

Yellow boxes are layers: a sigmoid or tanh of a linear map of their inputs, ``act(W_i x_t + W_h h_{t-1} + b)``,
so every box has its own weights. Pink circles are pointwise operations on vectors: a product (×), a sum (+),
or ``1 - z``. Lines carry vectors; a dot marks where a line splits into copies. Arrows point forward in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

from .plots import STYLE

__all__ = ["draw_gru_cell", "draw_lstm_cell"]

LAYER_COLOR = "#f6d55c"
LINEAR_COLOR = "#d9d9d9"
NODE_COLOR = "#f4b6b6"
CELL_COLOR = "#eef3f8"
STATE_COLOR = "#1f5fa8"
WIRE_COLOR = "#333333"
#: The smallest text of a diagram: the book style's size, as in every other figure.
SMALL = STYLE["font.size"]


@dataclass
class _Shape:
    x: float
    y: float
    half_width: float
    half_height: float

    def edge(self, dx: float, dy: float) -> tuple[float, float]:
        """The point of the outline that a wire arriving along (dx, dy) (one of them zero) touches."""
        if dx:
            return self.x - (self.half_width if dx > 0 else -self.half_width), self.y
        return self.x, self.y - (self.half_height if dy > 0 else -self.half_height)


class _Canvas:
    """Boxes, nodes and wires on one Axes, in data coordinates (one unit is about one centimetre)."""

    def __init__(self, ax, width: float, height: float):
        self.ax = ax
        self.shapes: dict[str, _Shape] = {}
        ax.set_xlim(-0.9, width + 0.9)
        ax.set_ylim(-2.5, height + 0.3)
        ax.set_aspect("equal")
        ax.axis("off")

    def frame(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.3",
                                         facecolor=CELL_COLOR, edgecolor="#9fb3c8", linewidth=1.0, zorder=0))

    def layer(self, name: str, x: float, y: float, text: str, color: str = LAYER_COLOR, width: float = 0.8) -> None:
        """A layer box (``text`` is its activation, "σ" or "tanh") centred on (x, y)."""
        self.shapes[name] = _Shape(x, y, width / 2, 0.28)
        self.ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.28), width, 0.56,
                                         boxstyle="round,pad=0,rounding_size=0.1", facecolor=color,
                                         edgecolor=WIRE_COLOR, linewidth=1.0, zorder=3))
        self.ax.text(x, y, text, ha="center", va="center", fontsize=11, zorder=4)

    def node(self, name: str, x: float, y: float, text: str) -> None:
        """A pointwise operation ("×", "+", "1−", "tanh") in a circle centred on (x, y)."""
        radius = {1: 0.22, 2: 0.26}.get(len(text), 0.34)
        self.shapes[name] = _Shape(x, y, radius, radius)
        self.ax.add_patch(Circle((x, y), radius, facecolor=NODE_COLOR, edgecolor=WIRE_COLOR, linewidth=1.0, zorder=3))
        self.ax.text(x, y, text, ha="center", va="center", fontsize=12 if len(text) == 1 else SMALL, zorder=4)

    def wire(self, *points, to: str | None = None, color: str = WIRE_COLOR, width: float = 1.4,
             gid: str | None = None, arrow: bool = True, over: bool = False) -> None:
        """A line through ``points`` (horizontal and vertical pieces), ending in an arrow at the outline of
        the shape ``to`` (or at the last point). ``over``: drawn over a :meth:`bridge`."""
        points = list(points)
        if to is not None:
            (x0, y0), (x1, y1) = points[-2], points[-1]
            points[-1] = self.shapes[to].edge(x1 - x0, y1 - y0)
        xs, ys = zip(*points, strict=True)
        self.ax.plot(xs, ys, color=color, linewidth=width, solid_capstyle="butt", zorder=2 if over else 1, gid=gid)
        if arrow:  # only the head: the line is drawn above, so that a bridge beneath it stays open
            (x0, y0), (x1, y1) = points[-2], points[-1]
            length = max(abs(x1 - x0), abs(y1 - y0))
            tail = (x1 - 0.01 * (x1 - x0) / length, y1 - 0.01 * (y1 - y0) / length)
            self.ax.annotate("", xy=points[-1], xytext=tail, zorder=2 if over else 1,
                             arrowprops={"arrowstyle": "-|>", "color": color, "lw": width, "shrinkA": 0,
                                         "shrinkB": 0, "mutation_scale": 12})

    def bridge(self, x: float, y: float, vertical: bool) -> None:
        """Where two lines cross without joining: a gap in the line beneath, around (x, y); ``vertical`` says
        that the line on top is vertical."""
        width, height = (0.24, 0.5) if vertical else (0.5, 0.24)
        self.ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="square,pad=0",
                                         facecolor=CELL_COLOR, edgecolor="none", zorder=1.5))

    def dot(self, x: float, y: float, color: str = WIRE_COLOR) -> None:
        """A junction: the line splits into copies here."""
        self.ax.add_patch(Circle((x, y), 0.06, color=color, zorder=2))

    def label(self, x: float, y: float, text: str, **options) -> None:
        self.ax.text(x, y, text, zorder=5, **{"fontsize": 11, "ha": "center", "va": "center", **options})

    def key(self, text: str) -> None:
        self.ax.text(0.5, 0.01, text, transform=self.ax.transAxes, ha="center", va="bottom", fontsize=SMALL,
                     color="#444444")


def _axes(ax, size):
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def draw_gru_cell(ax=None):
    r"""Draw the GRU cell of torch (:class:`~rnntutor.GRUCell`, the reset-after form) and return the figure.

    The state :math:`h_{t-1}` runs along the top and leaves as :math:`h_t = z_t \odot h_{t-1} + (1-z_t) \odot n_t`.
    The update gate :math:`z_t` scales what is kept, :math:`1-z_t` what the candidate :math:`n_t` brings in.
    The reset gate :math:`r_t` scales :math:`W_{hn} h_{t-1} + b_{hn}` after the product, before the candidate's
    tanh, as in torch. Chapter "The GRU".
    """
    fig, ax = _axes(ax, (7.5, 5.2))
    c = _Canvas(ax, 10.0, 5.8)
    c.frame(0.4, -0.1, 9.4, 5.2)
    top, bus, x_line, row = 4.6, 0.9, 0.3, 2.0
    c.node("keep", 6.4, top, "×")
    c.node("add", 8.0, top, "+")
    c.layer("z", 1.9, row, "σ")
    c.layer("r", 3.2, row, "σ")
    c.layer("W_hn", 5.0, 3.3, r"$W_{hn} h_{t-1} + b_{hn}$", color=LINEAR_COLOR, width=2.3)
    c.node("reset", 5.0, row, "×")
    c.layer("n", 6.6, row, "tanh")
    c.node("one_minus", 6.6, 3.0 + 0.15, "1−")
    c.node("let_in", 8.0, 3.15, "×")
    # the state path: h_{t-1} -> keep -> add -> h_t
    c.wire((-0.6, top), (6.4, top), to="keep", color=STATE_COLOR, width=2.2)
    c.wire((6.4, top), (8.0, top), to="add", color=STATE_COLOR, width=2.2)
    c.wire((8.0, top), (10.6, top), color=STATE_COLOR, width=2.2)
    c.wire((8.9, top), (8.9, 5.9), color=STATE_COLOR, width=2.2)
    c.dot(8.9, top, STATE_COLOR)
    # h_{t-1} and x_t into the gates
    c.wire((0.8, top), (0.8, bus), (3.2, bus), arrow=False)
    c.dot(0.8, top)
    c.wire((1.4, -1.0), (1.4, bus), arrow=False)
    c.dot(1.4, bus)
    c.wire((1.9, bus), (1.9, row), to="z")
    c.dot(1.9, bus)
    c.wire((3.2, bus), (3.2, row), to="r")
    c.wire((1.4, x_line), (6.6, x_line), (6.6, row), to="n")
    c.dot(1.4, x_line)
    # the candidate: r_t scales W_hn h_{t-1} + b_hn, then tanh with W_in x_t + b_in
    c.wire((5.0, top), (5.0, 3.3), to="W_hn")
    c.dot(5.0, top)
    c.wire((5.0, 3.3), (5.0, row), to="reset")
    c.wire((3.2, row), (5.0, row), to="reset")
    c.wire((5.0, row), (6.6, row), to="n")
    c.wire((6.6, row), (8.0, row), (8.0, 3.15), to="let_in")
    # the update gate: z_t keeps, 1 - z_t lets in
    c.bridge(5.0, 3.85, vertical=False)
    c.wire((1.9, row), (1.9, 3.85), (6.4, 3.85), (6.4, top), to="keep", over=True)
    c.wire((6.4, 3.85), (6.6, 3.85), (6.6, 3.15), to="one_minus", arrow=True)
    c.dot(6.4, 3.85)
    c.wire((6.6, 3.15), (8.0, 3.15), to="let_in")
    c.wire((8.0, 3.15), (8.0, top), to="add")
    # names of the vectors
    c.label(-0.75, top, "$h_{t-1}$", ha="right")
    c.label(10.75, top, "$h_t$", ha="left")
    c.label(8.9, 6.15, "$h_t$")
    c.label(1.4, -1.25, "$x_t$")
    c.label(1.65, 3.1, "$z_t$")
    c.label(3.45, 2.5, "$r_t$")
    c.label(7.3, 1.72, "$n_t$")
    c.label(4.9, 0.6, r"$W_{in} x_t + b_{in}$", fontsize=SMALL)
    c.label(7.3, 2.85, "$1-z_t$", fontsize=SMALL)
    ax.set_title("The GRU cell (torch's reset-after form)")
    c.key("yellow box: sigmoid σ or tanh of a linear map of its inputs   grey box: a linear map\n"
          "pink circle: pointwise ×, + or 1−   dot: a copy")
    return fig


def draw_lstm_cell(ax=None):
    r"""Draw the LSTM cell (:class:`~rnntutor.LSTMCell`) and return the figure.

    The cell state runs along the top line, from :math:`c_{t-1}` to :math:`c_t = f_t \odot c_{t-1} + i_t \odot
    g_t`: one pointwise product and one sum per step, the path that carries memory. The hidden state
    :math:`h_t = o_t \odot \tanh(c_t)` leaves along the bottom and on top. Chapter "The LSTM".
    """
    fig, ax = _axes(ax, (7.5, 5.2))
    c = _Canvas(ax, 11.2, 5.8)
    c.frame(0.4, -0.1, 9.4, 5.2)
    top, bus, row, up = 4.6, 0.9, 2.0, 11.0  # up: where the copy of h_t for the layer above leaves
    c.node("forget", 2.4, top, "×")
    c.node("add", 4.6, top, "+")
    c.layer("f", 2.4, row, "σ")
    c.layer("i", 3.5, row, "σ")
    c.layer("g", 4.6, row, "tanh")
    c.layer("o", 5.7, row, "σ")
    c.node("write", 4.6, 3.35, "×")
    c.node("squash", 7.0, 3.35, "tanh")
    c.node("out", 7.0, row, "×")
    # the cell state: c_{t-1} -> forget -> add -> c_t
    c.wire((-0.6, top), (2.4, top), to="forget", color=STATE_COLOR, width=3.0, gid="cell-state")
    c.wire((2.4, top), (4.6, top), to="add", color=STATE_COLOR, width=3.0, gid="cell-state")
    c.wire((4.6, top), (10.2, top), color=STATE_COLOR, width=3.0, gid="cell-state")
    c.wire((7.0, top), (7.0, 3.35), to="squash")
    c.dot(7.0, top, STATE_COLOR)
    # h_{t-1} and x_t into the four layers
    c.wire((-0.6, bus), (5.7, bus), arrow=False)
    c.wire((1.3, -1.0), (1.3, bus), arrow=False)
    c.dot(1.3, bus)
    for name, x in (("f", 2.4), ("i", 3.5), ("g", 4.6), ("o", 5.7)):
        c.wire((x, bus), (x, row), to=name)
        if name != "o":
            c.dot(x, bus)
    # forget, write, read
    c.wire((2.4, row), (2.4, top), to="forget")
    c.wire((3.5, row), (3.5, 3.35), (4.6, 3.35), to="write")
    c.wire((4.6, row), (4.6, 3.35), to="write")
    c.wire((4.6, 3.35), (4.6, top), to="add")
    c.wire((5.7, row), (7.0, row), to="out")
    c.wire((7.0, 3.35), (7.0, row), to="out")
    # h_t leaves to the next step and, right of where c_t ends (no crossing), to the layer above
    c.wire((7.0, row), (7.0, bus), (11.8, bus))
    c.wire((up, bus), (up, 5.9))
    c.dot(up, bus)
    # names of the vectors
    c.label(-0.75, top, "$c_{t-1}$", ha="right")
    c.label(10.35, top, "$c_t$", ha="left")
    c.label(-0.75, bus, "$h_{t-1}$", ha="right")
    c.label(11.95, bus, "$h_t$", ha="left")
    c.label(up, 6.15, "$h_t$")
    c.label(1.3, -1.25, "$x_t$")
    c.label(2.15, 3.3, "$f_t$")
    c.label(3.25, 2.75, "$i_t$")
    c.label(4.85, 2.75, "$g_t$")
    c.label(6.35, 1.75, "$o_t$")
    c.label(5.0, 4.9, "cell state (memory)", ha="left", fontsize=SMALL, color=STATE_COLOR)
    ax.set_title("The LSTM cell")
    c.key("yellow box: sigmoid σ or tanh of a linear map of $[h_{t-1}, x_t]$\n"
          "pink circle: pointwise ×, + or tanh   dot: a copy")
    return fig
