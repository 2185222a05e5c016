"""Heat-maps of gate activations over time, the figures of chapters 5 ("The GRU") and 6 ("The LSTM").

The gates come from a layer run with ``return_gates=True``; for one sequence ``b`` of a batch-first layer,
``gates["l0"]["z"][b]`` is an array (steps, units). Each panel shows one such array with the hidden units
as rows and the time steps as columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

__all__ = ["gate_heatmaps"]

MARK_COLOR = "#d62728"


def _as_array(name: str, value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, possibly on a GPU or part of a graph
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"gate_heatmaps: {name!r} must be an array (steps, units) for one sequence, "
                         f"got shape {array.shape}")
    return array


def gate_heatmaps(
    gates: Mapping[str, object],
    *,
    mark: int | None = None,
    step_labels: Sequence[str] | None = None,
    unit_order: Sequence[int] | None = None,
    title: str | None = None,
):
    """Draw one heat-map per entry of ``gates`` (title -> array (steps, units)), stacked, and return the figure.

    A panel whose values all lie in [0, 1] (a sigmoid gate) is coloured from 0, closed, to 1, open; any
    other (a candidate, the state) on a diverging scale centred on 0. ``mark`` outlines one time step (the
    input that matters), ``step_labels`` names every step on the time axis (e.g. the input symbols), and
    ``unit_order`` lists the units from top to bottom (e.g. sorted by how they behave), the same in
    every panel.
    """
    if not isinstance(gates, Mapping) or not gates:
        raise ValueError("gate_heatmaps: gates must be a non-empty mapping of title -> array (steps, units)")
    arrays = {name: _as_array(name, value) for name, value in gates.items()}
    steps, units = next(iter(arrays.values())).shape
    for name, array in arrays.items():
        if array.shape != (steps, units):
            raise ValueError(f"gate_heatmaps: every array must have the same shape (steps, units); "
                             f"{name!r} has {array.shape}, the first has {(steps, units)}")
    if mark is not None and not (isinstance(mark, (int, np.integer)) and 0 <= mark < steps):
        raise ValueError(f"gate_heatmaps: mark must be a time step in 0..{steps - 1}, got {mark!r}")
    if step_labels is not None and len(step_labels) != steps:
        raise ValueError(f"gate_heatmaps: step_labels must name all {steps} steps, got {len(step_labels)}")
    order = np.arange(units) if unit_order is None else np.asarray(unit_order)
    if sorted(order.tolist()) != list(range(units)):
        raise ValueError(f"gate_heatmaps: unit_order must be an ordering of the units 0..{units - 1}")

    fig, axes = plt.subplots(len(arrays), 1, figsize=(7.0, 0.6 + 1.9 * len(arrays)), sharex=True, squeeze=False)
    for ax, (name, array) in zip(axes[:, 0], arrays.items(), strict=True):
        values = array[:, order].T  # rows: units, columns: steps
        if values.min() >= 0.0 and values.max() <= 1.0:
            image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest")
            label = "gate value"
        else:
            limit = max(float(np.abs(values).max()), 1e-12)
            image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
            label = "value"
        fig.colorbar(image, ax=ax, pad=0.02, fraction=0.04).set_label(label)
        if mark is not None:
            ax.add_patch(Rectangle((mark - 0.5, -0.5), 1.0, units, fill=False, edgecolor=MARK_COLOR, linewidth=2.0))
        ax.set_title(name)
        ax.set_ylabel("hidden unit" if unit_order is None else "hidden unit (sorted)")
        ax.set_yticks([0, units - 1] if unit_order is None else [])
        ax.grid(False)
    bottom = axes[-1, 0]
    bottom.set_xticks(range(steps), step_labels if step_labels is not None else [str(t) for t in range(steps)])
    bottom.set_xlabel("time step t" if step_labels is None else "input at each time step t")
    if title:
        fig.suptitle(title)
    return fig
