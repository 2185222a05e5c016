"""The book as a reader meets it: every page of the built HTML, in English and in Chinese, opened in
headless Chromium.

The book is built into a folder of its own (tests/test_book.py builds _build/html in another worker),
served on a localhost port, and every page is checked for console errors, broken or undescribed images,
untypeset math and, on chapters, the Colab button. Requests that leave localhost are refused, so a page
that needs the network fails here as it would for a reader offline. Screenshots: _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from book_files import ROOT, resolve, toc_entries
from playwright.sync_api import sync_playwright

from rnntutor.plots import STYLE

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.fail(f"the browser test needs Debian's chromium, not found at {CHROMIUM}: `make test` installs it as "
                "root, or run `apt-get install chromium`, or set CHROMIUM=/path/to/chromium", pytrace=False)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The Colab button is made from _config.yml; tests/test_repository_url.py ties it to pyproject.toml.
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY, BRANCH = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book and its Chinese edition (as `make book` does) into a temporary folder and return
    the HTML folder: the English pages, and the Chinese ones under zh/."""
    if not (ROOT / "_mathjax" / "node_modules" / "mathjax").is_dir():
        pytest.fail("MathJax is not installed: `make test` installs it (npm ci --prefix _mathjax)")
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [Path(sys.executable).with_name("jupyter-book"), "build", str(ROOT), "--path-output", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    result = subprocess.run(
        [sys.executable, "tools/translation.py", "build", "--build-dir", str(out / "zh"),
         "--site", str(out / "_build" / "html")], capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    """Serve the built book on a free localhost port; yield its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=site))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # no screenshot of a page that is gone
    SCREENSHOTS.mkdir(parents=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture()
def problems():
    """What went wrong on the page: console errors, uncaught exceptions, failed or off-site requests."""
    return []


@pytest.fixture()
def page(browser, server, problems):
    """A fresh browser page (light colour scheme, desktop width) that records its problems."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    host = urlparse(server).netloc

    def only_localhost(route):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            problems.append(f"request off the site: {route.request.url}")
            route.abort()

    context.route("**/*", only_localhost)
    tab = context.new_page()
    tab.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    tab.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    tab.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    yield tab
    context.close()


def pages():
    """The chapter and page names that the build turns into book/NAME.html: the files of _toc.yml."""
    return [Path(e).name for e in toc_entries() if resolve(e) is not None]


# Each edition: the folder of its pages in the site, its <html lang>, and its twin's folder.
EDITIONS = {"": ("en", "zh/"), "zh/": ("zh-CN", "")}
EDITION_PAGES = [f"{edition}book/{name}" for edition in EDITIONS for name in pages()]
CJK_FONTS = set(subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
                .replace("\n", ",").split(","))


def open_page(page, url):
    page.goto(url, wait_until="load")
    # MathJax loads deferred and typesets asynchronously: wait for it where the page loads it.
    page.evaluate("async () => { if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise; }")


@pytest.mark.parametrize("path", EDITION_PAGES)
def test_page(page, problems, site, server, path):
    edition, name = path.split("book/")
    open_page(page, f"{server}/{path}.html")
    page.screenshot(path=SCREENSHOTS / f"{path.replace('/', '-')}.png", full_page=True)
    failures = list(problems)

    lang, twin = EDITIONS[edition]
    if page.evaluate("() => document.documentElement.lang") != lang:
        failures.append(f"<html lang> is not {lang}")
    expected = f"{server}/{twin}book/{name}.html"
    switch = page.eval_on_selector_all(".language-switch:visible", "as => as.map(a => a.href)")
    alternate = page.eval_on_selector_all("link[rel=alternate][hreflang]", "ls => ls.map(l => l.href)")
    if switch != [expected] or alternate != [expected]:
        failures.append(f"the language switch {switch} and alternate link {alternate} are not [{expected}]")

    if not page.title():
        failures.append("the page has no title")
    icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href")
    if not icon or page.request.get(icon).status != 200:
        failures.append(f"no favicon that loads: {icon}")

    images = page.eval_on_selector_all(
        "article img",
        "imgs => imgs.map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0,"
        " alt: (i.getAttribute('alt') || '').trim()}))",
    )
    failures += [f"image did not load: {i['src']}" for i in images if not i["loaded"]]
    if lang == "zh-CN":
        failures += chinese_text_problems(page)
    # Without alt text docutils writes the file name as alt: that describes nothing either.
    failures += [
        f"image without alt text: {i['src']}"
        for i in images
        if not i["alt"] or i["alt"].endswith(Path(i["src"]).name)
    ]

    math = page.eval_on_selector_all(
        "article .math", "els => els.map(e => ({typeset: !!e.querySelector('mjx-container'), text: e.innerText}))"
    )
    failures += [f"math left as raw TeX: {m['text'][:80]!r}" for m in math if not m["typeset"]]
    if not math and 'class="math notranslate' in (site / f"{path}.html").read_text():
        failures.append("the HTML has math, but the browser found no .math element")

    colab = page.eval_on_selector_all(".bd-header-article a[href*='colab.research.google.com']",
                                      "as => as.map(a => a.href)")
    if (ROOT / "book" / f"{name}.ipynb").is_file():
        path = REPOSITORY.removeprefix("https://github.com/")
        expected = f"https://colab.research.google.com/github/{path}/blob/{BRANCH}/book/{name}.ipynb"
        if colab != [expected]:
            failures.append(f"Colab button {colab}, expected [{expected}]")
    elif colab:
        failures.append(f"not a notebook, but has a Colab button: {colab}")

    assert not failures, f"{path}:\n" + "\n".join(failures)


def chinese_text_problems(page) -> list[str]:
    """A Chinese page is written in Chinese (its title and first paragraph), and Chromium draws that text
    with a system font that has Chinese characters, not with boxes."""
    problems = []
    probe = page.evaluate("""() => {
        const cjk = /[\\u4e00-\\u9fff]/;
        const p = [...document.querySelectorAll('article p')].find(e => cjk.test(e.innerText));
        if (p) p.setAttribute('data-cjk-probe', '');
        return [cjk.test(document.querySelector('article h1')?.innerText ?? ''), !!p];
    }""")
    if probe != [True, True]:
        return [f"not in Chinese (title, a paragraph): {probe}"]
    captions = page.eval_on_selector_all("nav .caption-text", "cs => cs.map(c => c.innerText)")
    problems += [f"table of contents caption in English: {c!r}" for c in captions
                 if not re.search("[\u4e00-\u9fff]", c)]
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-cjk-probe]"})["nodeId"]
    fonts = {f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    if not fonts & CJK_FONTS:
        problems.append(f"Chinese drawn with {fonts}, none of the system's Chinese fonts {CJK_FONTS or '(none)'}")
    return problems


@pytest.mark.parametrize("width", [390, 1366], ids=["phone", "desktop"])
def test_the_language_switch_leads_to_the_twin_page_and_back(page, problems, server, width):
    """A tap on the switch in the header opens the same page in the other language, and back."""
    page.set_viewport_size({"width": width, "height": 844})
    name = first_chapter()
    open_page(page, f"{server}/book/{name}.html")
    for lang, path in [("zh-CN", f"zh/book/{name}"), ("en", f"book/{name}")]:
        switch = page.locator(".language-switch:visible")
        box = switch.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, f"switch too small to tap: {box}"
        buttons = page.locator(".article-header-buttons:visible").first.bounding_box()
        middle = box["y"] + box["height"] / 2
        assert buttons["y"] <= middle <= buttons["y"] + buttons["height"], \
            f"the switch {box} is not on the line of the header's buttons {buttons}"
        switch.click()
        page.wait_for_url(f"{server}/{path}.html")
        assert page.evaluate("() => document.documentElement.lang") == lang
    widths = page.eval_on_selector_all(".header-article-items__end .btn",
                                       "bs => bs.filter(b => b.offsetParent).map(b => b.offsetWidth)")
    assert widths and min(widths) >= 24, f"header buttons narrower than a 24 px tap target: {widths}"
    page.screenshot(path=SCREENSHOTS / f"language-switch-{width}.png")
    assert not problems, "\n".join(problems)


def test_search_finds_a_chapter(page, problems, server):
    """A word of a chapter's title, searched for, lists that chapter (Sphinx's search index and script)."""
    name = next((n for n in pages() if (ROOT / "book" / f"{n}.ipynb").is_file()), pages()[0])
    open_page(page, f"{server}/book/{name}.html")
    title = page.locator("article h1").first.inner_text()
    word = max((w.strip("¶#:,.()") for w in title.split()), key=len)
    open_page(page, f"{server}/search.html?q={word}")
    page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    page.screenshot(path=SCREENSHOTS / "search.png")
    assert any(f"/book/{name}.html" in link for link in links), f"searching {word!r} gave {links}"
    assert not problems, "\n".join(problems)


def test_search_in_chinese_finds_the_chapter_of_a_glossary_word(page, problems, server):
    """The Chinese edition's index is split into words (jieba, with the glossary's words): 遗忘门 (forget
    gate) finds the LSTM chapter first."""
    open_page(page, f"{server}/zh/search.html?q=遗忘门")
    page.wait_for_selector("#search-results ul.search li", timeout=15_000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    page.screenshot(path=SCREENSHOTS / "search-zh.png")
    assert links and links[0].endswith("/zh/book/06_lstm.html"), f"searching 遗忘门 gave {links}"
    assert not problems, "\n".join(problems)


def test_dark_mode_switch(page, problems, server):
    """The theme switch turns the page dark: the data-theme attribute and the background both change."""
    open_page(page, f"{server}/book/{pages()[0]}.html")

    def state():
        return page.evaluate(
            "() => [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]"
        )

    theme, background = state()
    assert theme == "light"
    switch = page.locator(".theme-switch-button:visible").first
    for _ in range(3):  # the switch cycles through light, dark and auto
        switch.click()
        if state()[0] == "dark":
            break
    dark_theme, dark_background = state()
    page.screenshot(path=SCREENSHOTS / "dark-mode.png")
    assert dark_theme == "dark", f"data-theme stayed {dark_theme!r}"
    assert dark_background != background, f"the background stayed {background} in dark mode"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("toggle", "dialog", "content"), [
    (".primary-toggle", "#pst-primary-sidebar-modal", "nav a[href*='02_recurrent_neuron']"),
    (".secondary-toggle", "#pst-secondary-sidebar-modal", "#pst-page-toc-nav a"),
], ids=["chapter list", "page contents"])
def test_on_a_phone_the_sidebar_buttons_open_and_close_their_sidebar(page, problems, server, toggle, dialog,
                                                                      content):
    """At 390 px the button a reader sees opens the chapter list (or the page's contents); Escape closes it."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, f"{server}/book/{first_chapter()}.html")
    buttons = page.locator(f"{toggle}:visible")
    assert buttons.count() >= 1, f"no visible {toggle} button on a phone"
    buttons.first.click()
    modal = page.locator(dialog)
    modal.wait_for(state="visible", timeout=5_000)
    assert modal.locator(content).first.is_visible(), f"{dialog} opened without {content}"
    page.screenshot(path=SCREENSHOTS / f"phone-{toggle.strip('.')}.png")
    page.keyboard.press("Escape")
    modal.wait_for(state="hidden", timeout=5_000)
    assert not problems, "\n".join(problems)


def test_on_a_desktop_the_sidebar_button_hides_and_shows_the_chapter_list(page, problems, server):
    open_page(page, f"{server}/book/{first_chapter()}.html")
    chapters = page.locator("#pst-primary-sidebar nav a[href*='02_recurrent_neuron']").first
    assert chapters.is_visible() and page.locator("#pst-page-toc-nav a").first.is_visible()
    button = page.locator(".primary-toggle:visible").first
    button.click()
    chapters.wait_for(state="hidden", timeout=5_000)
    button.click()
    chapters.wait_for(state="visible", timeout=5_000)
    assert not problems, "\n".join(problems)


def first_chapter() -> str:
    return next(n for n in pages() if (ROOT / "book" / f"{n}.ipynb").is_file())


def test_bibliography_labels_read_like_the_citations(page, problems, server):
    """The text cites "[Box et al., 2015]"; the bibliography lists it under the same label."""
    open_page(page, f"{server}/book/bibliography.html")
    labels = page.eval_on_selector_all(
        ".citation .label", "ls => ls.map(l => l.innerText.trim().replace(/\\u00a0/g, ' '))")
    assert labels, "the bibliography lists nothing"
    odd = [label for label in labels if not re.fullmatch(r"\[[^\[\]]+, \d{4}[a-z]?\]", label)]
    assert not odd, f"labels not in author-year form: {odd}"
    open_page(page, f"{server}/book/{first_chapter()}.html")
    cited = page.eval_on_selector_all(
        "a[href*='bibliography.html#']", "as => as.map(a => a.innerText.trim().replace(/\\u00a0/g, ' '))")
    assert cited and all(f"[{text}]" in labels for text in cited), f"citations {cited} not among {labels}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", EDITION_PAGES + ["genindex", "search", "zh/genindex", "zh/search"])
def test_no_page_is_wider_than_a_phone(page, problems, server, name):
    """At 390 px nothing makes the page scroll sideways (code blocks scroll inside their own box)."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, f"{server}/{name}.html")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > 390:
        culprits = page.evaluate(
            "() => Array.from(document.querySelectorAll('article *, .bd-main *'))"
            ".filter(e => e.getBoundingClientRect().right > 392 && getComputedStyle(e).position !== 'fixed')"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 60))"
        )
        page.screenshot(path=SCREENSHOTS / f"too-wide-{name.replace('/', '-')}.png")
        pytest.fail(f"{name} is {width} px wide on a 390 px screen; widest: {culprits}")
    assert not problems, "\n".join(problems)



def figures_on(page, url, width):
    page.set_viewport_size({"width": width, "height": 844})
    open_page(page, url)
    return page.eval_on_selector_all(".cell_output img", """imgs => imgs.map(img => ({
        src: img.src, link: img.closest('a')?.href ?? null,
        shown: img.clientHeight / img.clientWidth, drawn: img.naturalHeight / img.naturalWidth,
        sharpness: img.naturalWidth / img.clientWidth}))""")


@pytest.mark.parametrize("name", [n for n in pages() if n[:2].isdigit()])
def test_figures_are_sharp_keep_their_shape_and_open_at_full_size(page, problems, server, name):
    """On a desktop every figure is shown at the size it was drawn at, with two image pixels per CSS pixel
    (sharp on high-density screens, its text no smaller than the small print); on a phone it shrinks
    with the column without being squashed, and a tap opens its image."""
    url = f"{server}/book/{name}.html"
    desktop = figures_on(page, url, 1366)
    assert desktop, f"{name} shows no figure"
    blurred = [f["src"].rsplit("/", 1)[-1] for f in desktop if f["sharpness"] < 1.95]
    assert not blurred, f"{name}: figures with fewer than 2 image pixels per CSS pixel: {blurred}"
    # Text of the style's smallest size, drawn at STYLE["figure.dpi"] px an inch and shown at 2 / sharpness
    # of that size, must be no smaller than the body's small print (0.875 of its font size).
    small_print = 0.875 * page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    drawn = STYLE["font.size"] * STYLE["figure.dpi"] / 72
    small = [(f["src"].rsplit("/", 1)[-1], round(drawn * 2 / f["sharpness"], 1)) for f in desktop
             if drawn * 2 / f["sharpness"] < small_print]
    assert not small, f"{name}: figure text below the body's small print ({small_print} px): {small}"
    for figure in figures_on(page, url, 390):
        assert figure["link"] == figure["src"], f"{figure['src']}: a tap does not open it at full size"
        assert abs(figure["shown"] / figure["drawn"] - 1) < 0.02, f"{figure['src']} is squashed on a phone"
    assert not problems, "\n".join(problems)


CONTRAST = r"""(selector) => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].filter(e => e.textContent.trim()).map(e => {
    const a = luminance(rgb(getComputedStyle(e).color)), b = luminance(background(e));
    return [(Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), e.textContent.slice(0, 30)];
  });
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_code_and_shown_source_are_legible_in_light_and_dark_mode(browser, server, scheme):
    """Every coloured token of the code cells and of the package source the chapter shows
    (rnntutor.show_source) stands out from its background by WCAG's 4.5:1, in either colour scheme."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    open_page(page, f"{server}/book/02_recurrent_neuron.html")
    assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
    shown = page.evaluate(CONTRAST, ".cell_output .highlight span[class], .cell_output pre span[class]")
    code = page.evaluate(CONTRAST, ".cell_input .highlight span[class]")
    context.close()
    assert shown, "the chapter should show package source with coloured tokens"
    faint = [(round(ratio, 2), text) for ratio, text in shown + code if ratio < 4.5]
    assert not faint, f"{scheme} mode: tokens below 4.5:1 contrast: {faint[:5]}"
