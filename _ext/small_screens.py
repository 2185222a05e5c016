"""Make every sidebar button of the theme open its sidebar, on a phone too (see static/sidebar-toggles.js)."""

from pathlib import Path


def _add_static_path(app):
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("builder-inited", _add_static_path)
    app.add_js_file("sidebar-toggles.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
