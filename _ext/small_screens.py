"""Reading on a phone: every sidebar button opens its sidebar (static/sidebar-toggles.js), long inline
code, signatures and index tables wrap instead of making the page wider than the screen, and figures
shrink with the column without being squashed (static/small-screens.css)."""

from pathlib import Path


def _add_static_path(app):
    static = str(Path(__file__).parent / "static")
    if static not in app.config.html_static_path:  # (editions.py adds it too)
        app.config.html_static_path.append(static)


def setup(app):
    app.connect("builder-inited", _add_static_path)
    app.add_js_file("sidebar-toggles.js")
    app.add_css_file("small-screens.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
