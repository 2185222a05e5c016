"""Gate heat-maps: one panel per gate, the right colour scale, the mark, the unit order, clear errors."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rnntutor.gate_plots import gate_heatmaps  # noqa: E402

STEPS, UNITS = 6, 4


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {"update gate": rng.uniform(0, 1, (STEPS, UNITS)), "candidate": rng.uniform(-2, 2, (STEPS, UNITS))}


def images(fig):
    return [ax.images[0] for ax in fig.axes if ax.images and ax.get_title()]


def test_one_panel_per_gate_with_units_as_rows_and_steps_as_columns():
    gates = arrays()
    fig = gate_heatmaps(gates, title="t")
    panels = images(fig)
    assert [image.axes.get_title() for image in panels] == list(gates)
    for image, array in zip(panels, gates.values(), strict=True):
        assert np.array_equal(image.get_array(), array.T)
    assert fig._suptitle.get_text() == "t"


def test_a_gate_in_zero_one_is_coloured_from_zero_to_one_and_the_rest_symmetric_around_zero():
    gates = arrays(1)
    gate, other = images(gate_heatmaps(gates))
    assert gate.get_clim() == (0.0, 1.0)
    limit = np.abs(gates["candidate"]).max()
    assert other.get_clim() == pytest.approx((-limit, limit))


def test_torch_tensors_are_accepted():
    gates = {name: torch.tensor(a, requires_grad=True) for name, a in arrays(2).items()}
    (first, _) = images(gate_heatmaps(gates))
    assert np.allclose(first.get_array(), gates["update gate"].detach().numpy().T)


def test_the_mark_outlines_its_step_in_every_panel_and_labels_name_the_steps():
    fig = gate_heatmaps(arrays(), mark=3, step_labels=list("abcdef"))
    for image in images(fig):
        (outline,) = [p for p in image.axes.patches if isinstance(p, Rectangle)]
        assert outline.get_x() == 2.5 and outline.get_width() == 1.0
    assert [t.get_text() for t in images(fig)[-1].axes.get_xticklabels()] == list("abcdef")


def test_the_unit_order_sorts_the_rows_the_same_way_in_every_panel():
    gates = arrays(3)
    order = [2, 0, 3, 1]
    for image, array in zip(images(gate_heatmaps(gates, unit_order=order)), gates.values(), strict=True):
        assert np.array_equal(image.get_array(), array[:, order].T)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gates": {}}, "non-empty mapping"),
        ({"gates": {"a": np.zeros((2, 3, 4))}}, "'a' must be an array \\(steps, units\\) for one sequence"),
        ({"gates": {"a": np.zeros((6, 4)), "b": np.zeros((5, 4))}}, "'b' has \\(5, 4\\)"),
        ({"mark": 6}, "mark must be a time step in 0..5, got 6"),
        ({"step_labels": ["a"]}, "step_labels must name all 6 steps, got 1"),
        ({"unit_order": [0, 0, 1, 2]}, "unit_order must be an ordering of the units 0..3"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    kwargs = {"gates": arrays(), **kwargs}
    with pytest.raises(ValueError, match=message):
        gate_heatmaps(kwargs.pop("gates"), **kwargs)
