"""The book in two languages from one source (tools/translation.py builds the translated edition).

- Every page links to its twin in the other edition: a switch in the article header and a
  ``<link rel="alternate" hreflang>`` in the head. The English pages are at the site root, the
  Chinese ones under ``zh/``, with the same page names.
- Figures' alt text is translated: Sphinx translates a page's paragraphs while it reads the page, but
  myst-nb makes the images of cell outputs later, in a post-transform. The ``gettext`` builder extracts
  their alt text (the configuration lets it keep PNG outputs, ``nb_mime_priority_overrides``); a
  post-transform after myst-nb's replaces it with its translation from the page's catalog.
- Numbers glued from a notebook stay glued in its translation: Sphinx parses a translated paragraph
  as a document of its own, which has none of the notebook's glue data, so there ``{glue:text}`key```
  reads the value the notebook saved, as a reference to the page itself (``page::key``).
- Display maths is translated here, not by Sphinx: Sphinx re-parses a translated literal block as
  ``::`` plus the text, which MyST reads as a paragraph ``::``. Before Sphinx's translation step, each
  block takes its translation from the page's catalog (only ``\text{...}`` labels differ) and is marked
  done; the ``gettext`` builder still extracts it.
- The captions of the table of contents ("Chapters") are translated here too: sphinx-external-toc
  inserts the toctrees after Sphinx's translation step.
- The API reference stays in English: the docstrings that autodoc inserts are not translatable
  messages, so the catalogs hold the book's own prose only.
"""

from pathlib import Path

from docutils import nodes
from myst_nb.ext.glue.roles import PasteTextRole
from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import docname_to_domain

# language -> (the folder of its pages under the English site, the switch's label, the hreflang code, the
# edition's title; tools/translation.py builds the editions from these)
EDITIONS = {"en": ("", "English", "en", None), "zh_CN": ("zh/", "中文", "zh-CN", "rnntutor：循环神经网络，动手运行")}


def _language(config) -> str:
    return config.language if config.language in EDITIONS else "en"


class KeepApiInEnglish(SphinxTransform):
    """Mark what autodoc inserts (entries and module docstrings) untranslatable, before Sphinx
    extracts or translates messages."""

    default_priority = 15  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs) -> None:
        for element in self.document.findall(nodes.TextElement):
            in_entry = any(isinstance(parent, addnodes.desc) for parent in _parents(element))
            if in_entry or ":docstring of " in (element.source or ""):
                element["translatable"] = False


def _parents(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _catalog(env, docname: str):
    """The page's translations (``gettext(message)``), or None when the page has no catalog."""
    directories = [Path(env.srcdir, directory) for directory in env.config.locale_dirs]
    domain = docname_to_domain(docname, env.config.gettext_compact)
    catalog, found = init_locale(directories, env.config.language, domain)
    return catalog if found else None


class TranslateDisplayMaths(SphinxTransform):
    default_priority = 15  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs) -> None:
        if _language(self.config) == "en" or self.app.builder.name == "gettext":
            return
        catalog = _catalog(self.env, self.env.docname)
        for block in self.document.findall(nodes.math_block):
            source = block.rawsource or block.astext()
            translated = catalog.gettext(source) if catalog else source
            if translated != source:
                block.rawsource = translated
                block.children = [nodes.Text(translated)]
            block["translatable"] = False


class TranslateTocCaptions(SphinxTransform):
    default_priority = 101  # after sphinx-external-toc's InsertToctrees (100)

    def apply(self, **kwargs) -> None:
        if _language(self.config) == "en":
            return
        catalog = _catalog(self.env, self.env.docname)
        for toctree in self.document.findall(addnodes.toctree):
            if catalog and toctree.get("caption"):
                toctree["caption"] = catalog.gettext(toctree["caption"])


class TranslateAltText(SphinxPostTransform):
    default_priority = 50  # after myst-nb's SelectMimeType (4), which makes the output images

    def is_supported(self) -> bool:
        return _language(self.config) != "en"

    def run(self, **kwargs) -> None:
        catalog = _catalog(self.env, self.env.path2doc(self.document["source"]))
        for image in self.document.findall(nodes.image):
            if catalog and image.get("alt"):
                image["alt"] = catalog.gettext(image["alt"])


class GlueInTranslation(PasteTextRole):
    def run(self):
        translated = self.document.get("source", "").endswith(":<translated>")
        if translated and "::" not in self.text:
            env = self.document.settings.env
            page = Path(env.doc2path(env.docname)).name
            self.text = f"{page}::{self.text}" + ("" if ":" in self.text else ":s")
        return super().run()


def _twin(app, pagename, templatename, context, doctree):
    """Give the page template the address of this page in the other edition."""
    here = _language(app.config)
    other = "zh_CN" if here == "en" else "en"
    to_root = "../" * pagename.count("/") + ("../" if here != "en" else "")
    folder, label, hreflang, _ = EDITIONS[other]
    url = f"{to_root}{folder}{pagename}.html"
    context.update(twin_url=url, twin_label=label, twin_hreflang=hreflang)
    context["metatags"] = context.get("metatags", "") + (
        f'<link rel="alternate" hreflang="{hreflang}" href="{url}">\n')


def _add_switch(app, config):
    title = EDITIONS[_language(config)][3]
    if title:
        config.html_title = title
    config.templates_path.append(str(Path(__file__).parent / "templates"))
    static = str(Path(__file__).parent / "static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)
    options = config.html_theme_options
    options["article_header_end"] = ["language-switch.html", "article-header-buttons.html"]


def setup(app):
    app.connect("config-inited", _add_switch)
    app.connect("html-page-context", _twin)
    app.add_css_file("editions.css")
    app.add_role_to_domain("glue", "text", GlueInTranslation(), override=True)
    app.add_transform(KeepApiInEnglish)
    app.add_transform(TranslateDisplayMaths)
    app.add_transform(TranslateTocCaptions)
    app.add_post_transform(TranslateAltText)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
