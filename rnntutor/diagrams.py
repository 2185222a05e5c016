r"""Diagrams of the recurrent network, rolled and unrolled in time (chapters "The recurrent neuron" and
"Parameter sharing").

The rolled network is one cell with a loop: :math:`h_t` goes back into the cell at the next step. Unrolled,
the loop becomes a chain of :math:`T` copies of the cell, one per step, all holding the same weights
:math:`W_{ih}`, :math:`W_{hh}`, :math:`W_{hy}` (drawn in one colour each):

.. math::

    h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}), \qquad y_t = W_{hy} h_t + b_y.

With ``shared=False`` every step gets its own weights :math:`W^{(t)}`, each in its own colour: the network of
:class:`~rnntutor.models.UnsharedRNN`.

:func:`draw_sequence_shapes` draws the shapes of sequence problems: which steps take an input and which
give an output (one-to-many, many-to-one, many-to-many aligned, and encoder-decoder).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .plots import MODEL_COLORS
from .validate import check_positive_ints

__all__ = ["SEQUENCE_SHAPES", "draw_rnn", "draw_rolled", "draw_sequence_shapes", "draw_unrolled"]

BOX_W, BOX_H = 0.8, 0.5  # size of a box, in data units
STEP = 1.7  # distance between two steps of the unrolled network
ROW = 1.35  # distance between the rows x_t, h_t, y_t
FILL = {"x": "#eeeeee", "h": "#f6c8c8", "y": "#cfe0f1"}  # inputs, states, outputs
WEIGHT_COLORS = {"ih": "#2c7a2c", "hh": MODEL_COLORS["RNN"], "hy": MODEL_COLORS["GRU"]}
UNSHARED_COLORS = plt.get_cmap("tab10").colors
MAX_WIDTH = 7.5  # inches: the width of the book's column, so that no text is shrunk


def _box(ax, x: float, y: float, text: str, kind: str, dashed: bool = False) -> None:
    ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0.04",
                                facecolor=FILL[kind], edgecolor="black", linewidth=1.2,
                                linestyle="--" if dashed else "-"))
    ax.text(x, y, text, ha="center", va="center", fontsize=13)


def _arrow(ax, start, end, label: str, color, label_at=None, **style) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linewidth=1.4, color=color,
                                 shrinkA=0, shrinkB=0, **style))
    mid = label_at or ((start[0] + end[0]) / 2 + 0.08, (start[1] + end[1]) / 2)
    ax.text(*mid, label, ha="left", va="center", fontsize=11, color=color)


def _weight(name: str, step: int | None) -> str:
    return f"$W_{{{name}}}$" if step is None else f"$W_{{{name}}}^{{({step})}}$"


def draw_rolled(ax, x: float = 0.0) -> None:
    """Draw the rolled network on ``ax``, centred at abscissa ``x``: the cell :math:`h_t`, its input
    :math:`x_t` below, its output :math:`y_t` above, and the loop :math:`W_{hh}` that feeds :math:`h_t` back
    at the next step."""
    _box(ax, x, -ROW, "$x_t$", "x")
    _box(ax, x, 0, "$h_t$", "h")
    _box(ax, x, ROW, "$y_t$", "y")
    _arrow(ax, (x, -ROW + BOX_H / 2), (x, -BOX_H / 2), _weight("ih", None), WEIGHT_COLORS["ih"])
    _arrow(ax, (x, BOX_H / 2), (x, ROW - BOX_H / 2), _weight("hy", None), WEIGHT_COLORS["hy"])
    right, out = x + BOX_W / 2 + 0.04, x + BOX_W / 2 + 0.45  # the loop, in data units
    loop = Path([(right, 0.16), (out, 0.16), (out, -0.16), (right, -0.16)])
    ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=14, linewidth=1.4,
                                 color=WEIGHT_COLORS["hh"], shrinkA=0, shrinkB=0))
    ax.text(out + 0.08, 0, _weight("hh", None), ha="left", va="center", fontsize=11, color=WEIGHT_COLORS["hh"])


def draw_unrolled(ax, steps: int = 4, shared: bool = True, outputs: str = "every", x: float = 0.0) -> None:
    """Draw the network unrolled over ``steps`` steps on ``ax``, starting at abscissa ``x`` with the initial
    state :math:`h_0` (dashed).

    With ``shared=True`` every step is labelled with the same :math:`W_{ih}`, :math:`W_{hh}`, :math:`W_{hy}`,
    in the same colours; with ``shared=False`` step :math:`t` has its own :math:`W^{(t)}` in its own colour.
    ``outputs="every"`` draws an output :math:`y_t` at every step, ``outputs="last"`` only :math:`y_T`, read
    by one head :math:`W_{hy}` (as in :class:`~rnntutor.models.SequenceModel`).
    """
    check_positive_ints(steps=steps)
    if outputs not in ("every", "last"):
        raise ValueError(f"outputs must be 'every' or 'last', got {outputs!r}")
    _box(ax, x, 0, "$h_0$", "h", dashed=True)
    for t in range(1, steps + 1):
        c = x + t * STEP
        colors = WEIGHT_COLORS if shared else dict.fromkeys(WEIGHT_COLORS, UNSHARED_COLORS[(t - 1) % 10])
        step = None if shared else t
        _box(ax, c, -ROW, f"$x_{{{t}}}$", "x")
        _box(ax, c, 0, f"$h_{{{t}}}$", "h")
        _arrow(ax, (c, -ROW + BOX_H / 2), (c, -BOX_H / 2), _weight("ih", step), colors["ih"])
        if outputs == "every" or t == steps:
            _box(ax, c, ROW, f"$y_{{{t}}}$", "y")
            head = step if outputs == "every" else None
            _arrow(ax, (c, BOX_H / 2), (c, ROW - BOX_H / 2), _weight("hy", head),
                   colors["hy"] if outputs == "every" else WEIGHT_COLORS["hy"])
        _arrow(ax, (c - STEP + BOX_W / 2, 0), (c - BOX_W / 2, 0), _weight("hh", step), colors["hh"],
               label_at=(c - STEP / 2 - 0.22, 0.22))


def draw_rnn(steps: int = 4, shared: bool = True, outputs: str = "every"):
    """A figure of the recurrent network: rolled on the left, then the same network unrolled over ``steps``
    steps (chapter "The recurrent neuron"). With ``shared=False`` only the unrolled network is drawn, each
    step with its own weights (chapter "Parameter sharing"). ``outputs`` is that of :func:`draw_unrolled`.
    Returns the figure."""
    check_positive_ints(steps=steps)
    start = 2.6 if shared else 0.0  # where the unrolled network begins
    right = start + steps * STEP + BOX_W / 2 + 0.3
    left = -BOX_W / 2 - 0.3
    bottom, top = -ROW - BOX_H, ROW + BOX_H
    inches = min(0.95, (MAX_WIDTH - 0.4) / (right - left))  # per data unit, so that it fits the column
    width, height = inches * (right - left) + 0.4, inches * (top - bottom) + 0.6
    fig, ax = plt.subplots(figsize=(round(width, 2), round(height, 2)))
    if shared:
        draw_rolled(ax, 0.0)
        ax.text(1.8, 0, "=", ha="center", va="center", fontsize=22)
    draw_unrolled(ax, steps, shared=shared, outputs=outputs, x=start)
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    title = ("The recurrent network, rolled (left) and unrolled in time (right)" if shared else
             f"Unrolled over {steps} steps, with separate weights at every step")
    ax.set_title(title)
    return fig


# For each shape of sequence problem: the steps that read an input, the steps that give an output (out of
# the steps drawn), where the encoder ends (encoder-decoder only), and an example.
SEQUENCE_SHAPES = {
    "one to many": dict(steps=4, inputs=(1,), outputs=(1, 2, 3, 4),
                        example="one input, a sequence out:\na caption for an image, music from a note"),
    "many to one": dict(steps=4, inputs=(1, 2, 3, 4), outputs=(4,),
                        example="a sequence in, one answer:\nthe sentiment of a review, the switch"),
    "many to many, aligned": dict(steps=4, inputs=(1, 2, 3, 4), outputs=(1, 2, 3, 4),
                                  example="an answer at every step:\na tag for every word, the switch at every step"),
    "encoder-decoder": dict(steps=6, inputs=(1, 2, 3), outputs=(4, 5, 6), encoder=3,
                            example="a sequence in, another out, of its own length:\ntranslation"),
}


def _draw_shape(ax, steps: int, inputs, outputs, encoder: int | None = None, gap: float = 1.15) -> None:
    """One shape: ``steps`` states in a row, an input box below the steps in ``inputs`` and an output box above
    those in ``outputs``; with ``encoder``, the states after it are the decoder's (drawn after a dotted line)."""
    for t in range(1, steps + 1):
        c = t * gap
        decoder = encoder is not None and t > encoder
        _box(ax, c, 0, f"$h_{{{t}}}$" if not decoder else f"$s_{{{t - encoder}}}$", "h")
        if t in inputs:
            _box(ax, c, -ROW, f"$x_{{{t}}}$", "x")
            _arrow(ax, (c, -ROW + BOX_H / 2), (c, -BOX_H / 2), "", WEIGHT_COLORS["ih"])
        if t in outputs:
            k = t - (encoder or 0)
            _box(ax, c, ROW, f"$y_{{{k}}}$", "y")
            _arrow(ax, (c, BOX_H / 2), (c, ROW - BOX_H / 2), "", WEIGHT_COLORS["hy"])
        if t > 1:
            _arrow(ax, (c - gap + BOX_W / 2, 0), (c - BOX_W / 2, 0), "", WEIGHT_COLORS["hh"])
    if encoder is not None:
        middle = (encoder + 0.5) * gap
        ax.plot([middle, middle], [-ROW - BOX_H / 2, ROW + BOX_H / 2], color="gray", linestyle=":", linewidth=1.2)
        ax.text((1 + encoder) / 2 * gap, ROW, "encoder", ha="center", va="center", fontsize=11, color="gray")
        ax.text((encoder + 1 + steps) / 2 * gap, -ROW, "decoder", ha="center", va="center", fontsize=11, color="gray")


def draw_sequence_shapes():
    """A figure of the four shapes of sequence problems (:data:`SEQUENCE_SHAPES`), one panel each, in a 2 x 2
    grid: inputs (gray) below the states (red), outputs (blue) above. Returns the figure."""
    gap = 1.15
    fig, axes = plt.subplots(2, 2, figsize=(MAX_WIDTH, 5.0), layout="constrained")
    for ax, (name, shape) in zip(axes.flat, SEQUENCE_SHAPES.items(), strict=True):
        _draw_shape(ax, shape["steps"], shape["inputs"], shape["outputs"], shape.get("encoder"), gap)
        ax.set_xlim(gap - BOX_W / 2 - 0.2, 6 * gap + BOX_W / 2 + 0.2)  # every panel at the same scale
        ax.set_ylim(-ROW - BOX_H / 2 - 1.0, ROW + BOX_H / 2 + 0.1)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(name, fontsize=13, loc="left")
        ax.text(gap - BOX_W / 2, -ROW - BOX_H / 2 - 0.25, shape["example"], ha="left", va="top", fontsize=10.5)
    return fig
