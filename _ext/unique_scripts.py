"""Write each <script> of a page once.

Sphinx 7.4 adds an inline script twice when an extension registers it after the builder has started
(sphinx-togglebutton's and sphinx-thebe's settings): the copy of ``const THEBE_JS_URL = ...`` then
throws "Identifier 'THEBE_JS_URL' has already been declared" in every reader's browser. This keeps the
first of two scripts that have the same file (or none), body, priority and attributes.
"""


def _unique_scripts(app, pagename, templatename, context, doctree):
    seen = set()
    unique = []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def setup(app):
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
