"""The book on paper (tools/print_book.py prints it): code and outputs wrap at the page's edge instead of
being cut off, and the buttons that only work on screen are left out (static/print.css)."""

from pathlib import Path


def _add_static_path(app):
    path = str(Path(__file__).parent / "static")
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)


def setup(app):
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("print.css", media="print")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
