"""The diagrams of the rolled and unrolled network: every box, arrow and weight label is there."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from rnntutor.diagrams import draw_rnn, draw_rolled, draw_unrolled  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


def patches(ax, kind):
    return [p for p in ax.patches if isinstance(p, kind)]


def test_rolled_network_has_input_state_output_and_a_loop():
    fig, ax = plt.subplots()
    draw_rolled(ax)
    assert {"$x_t$", "$h_t$", "$y_t$", "$W_{ih}$", "$W_{hh}$", "$W_{hy}$"} <= set(texts(ax))
    assert len(patches(ax, FancyBboxPatch)) == 3 and len(patches(ax, FancyArrowPatch)) == 3
    plt.close(fig)


@pytest.mark.parametrize("steps", [1, 3, 6])
def test_unrolled_network_shares_one_set_of_weights_at_every_step(steps):
    fig, ax = plt.subplots()
    draw_unrolled(ax, steps)
    labels = texts(ax)
    assert len(patches(ax, FancyBboxPatch)) == 3 * steps + 1  # x_t, h_t, y_t per step, and h_0
    assert len(patches(ax, FancyArrowPatch)) == 3 * steps
    for t in range(1, steps + 1):
        assert {f"$x_{{{t}}}$", f"$h_{{{t}}}$", f"$y_{{{t}}}$"} <= set(labels)
    assert "$h_0$" in labels
    for name in ("ih", "hh", "hy"):
        assert labels.count(f"$W_{{{name}}}$") == steps
    plt.close(fig)


def test_unshared_network_labels_each_steps_own_weights_and_last_output_reads_one_head():
    fig, ax = plt.subplots()
    draw_unrolled(ax, 3, shared=False, outputs="last")
    labels = texts(ax)
    assert {"$W_{hh}^{(1)}$", "$W_{hh}^{(3)}$", "$W_{ih}^{(2)}$"} <= set(labels)
    assert "$W_{hh}$" not in labels and labels.count("$W_{hy}$") == 1 and "$y_{3}$" in labels
    assert "$y_{1}$" not in labels
    assert len(patches(ax, FancyBboxPatch)) == 2 * 3 + 1 + 1
    colors = {tuple(p.get_edgecolor()) for p in patches(ax, FancyArrowPatch)}
    assert len(colors) >= 3  # each step in its own colour
    plt.close(fig)


def test_draw_rnn_returns_a_titled_figure_with_both_forms():
    fig = draw_rnn(4)
    ax = fig.axes[0]
    assert "rolled" in ax.get_title() and "$h_t$" in texts(ax) and "$h_{4}$" in texts(ax)
    plt.close(fig)
    fig = draw_rnn(2, shared=False)
    assert "$h_t$" not in texts(fig.axes[0]) and "separate weights" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize("call, message", [
    (lambda: draw_rnn(0), "steps must be a positive int, got 0"),
    (lambda: draw_rnn(2.5), "steps must be a positive int, got 2.5"),
    (lambda: draw_rnn(3, outputs="first"), "outputs must be 'every' or 'last', got 'first'"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
    plt.close("all")


def test_sequence_shapes_have_inputs_and_outputs_where_each_shape_has_them():
    from rnntutor.diagrams import SEQUENCE_SHAPES, draw_sequence_shapes

    fig = draw_sequence_shapes()
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == list(SEQUENCE_SHAPES)
    for ax, shape in zip(axes, SEQUENCE_SHAPES.values(), strict=True):
        labels = texts(ax)
        assert sum(label.startswith("$x_") for label in labels) == len(shape["inputs"])
        assert sum(label.startswith("$y_") for label in labels) == len(shape["outputs"])
        states = sum(label.startswith(("$h_", "$s_")) for label in labels)
        assert states == shape["steps"]
        # one arrow per input, per output, and between consecutive states
        assert len(patches(ax, FancyArrowPatch)) == len(shape["inputs"]) + len(shape["outputs"]) + states - 1
    encoder_decoder = axes[3]
    assert {"encoder", "decoder", "$s_{1}$", "$y_{1}$"} <= set(texts(encoder_decoder))
    plt.close(fig)


@pytest.mark.parametrize("steps", [1, 4, 6, 10])
@pytest.mark.parametrize("shared", [True, False])
def test_diagrams_fit_the_column_of_the_book(steps, shared):
    from rnntutor.diagrams import MAX_WIDTH, draw_sequence_shapes

    for fig in (draw_rnn(steps, shared=shared), draw_sequence_shapes()):
        width, height = fig.get_size_inches()
        assert width <= MAX_WIDTH == 7.5 and height > 1.5, (steps, shared, width, height)
        plt.close(fig)
