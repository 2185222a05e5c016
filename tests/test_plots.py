"""The book's figure style: in Jupyter, figures are PNGs at twice the size they are shown at."""

from __future__ import annotations

import base64
import struct

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from rnntutor.plots import STYLE, apply_style  # noqa: E402

InteractiveShell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell


def png_width(encoded: str) -> int:
    png = base64.b64decode(encoded)  # IPython hands PNGs to the notebook in base64
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", png[16:20])[0]  # the IHDR chunk's width


def test_in_jupyter_a_figure_is_a_png_twice_as_wide_as_it_is_shown():
    shell = InteractiveShell.instance()
    try:
        apply_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        data, metadata = shell.display_formatter.format(fig)
        plt.close(fig)
        shown = metadata["image/png"]["width"]
        assert abs(png_width(data["image/png"]) - 2 * shown) <= 1  # IPython rounds the shown width down
        assert abs(shown - STYLE["figure.figsize"][0] * STYLE["figure.dpi"]) < 0.2 * shown  # tight bounding box
    finally:
        InteractiveShell.clear_instance()


def test_outside_jupyter_only_the_style_is_applied():
    apply_style()
    assert matplotlib.rcParams["figure.dpi"] == STYLE["figure.dpi"]
