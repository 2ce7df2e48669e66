"""Fixes to the HTML pages of the Jupyter Book 1 stack, loaded as a local Sphinx extension.

Each one removes a JavaScript console error that every page would otherwise show (the browser
tests, ``tests/test_browser.py``, fail on console errors):

1. sphinx-thebe registers an inline script (``const THEBE_JS_URL = ...``) after the HTML builder
   is set up; Sphinx 7.4 then puts it on every page twice, and the second copy throws
   "Identifier 'THEBE_JS_URL' has already been declared". Identical scripts are kept once.
2. pydata-sphinx-theme (under sphinx-book-theme) logs "Got invalid theme mode" on a reader's
   first visit unless the template variable ``default_mode`` is set; it becomes ``auto`` (the
   reader's system setting, light or dark).

and one keeps the pages from loading anything from other sites (the links to Colab aside):

3. Matplotlib's animation players link Font Awesome 4 from a CDN for their button icons; the
   theme already serves Font Awesome 6, whose style sheet keeps the version 4 names the players
   use (``fa-play``, ``fa-step-forward``...), so the link is dropped. The notebooks' "Open in
   Colab" badge image, hosted by Colab, is replaced by the book's own ``_static/colab-badge.svg``.
   In Jupyter and on Colab the notebooks keep both as they are.

and one names the edition:

4. Every page's footer says which edition of the course it belongs to: the version of
   ``pyproject.toml`` (cited with ``CITATION.cff``, listed in ``CHANGELOG.md``).

and one makes the controls' names agree with what they show, for screen-reader and voice-control
users (WCAG 2.5.3, "label in name"; the browser tests run axe-core on every page):

5. MyST-NB's toggles (``<summary aria-label="Toggle hidden content">``) show "Show code cell
   source", and the theme's search field shows "Search Ctrl+K" under the name "Search": the
   names are dropped, so that each control is named by its visible text. The colour-mode
   button's icons carry titles ("Light", "Dark") that count as visible text; they are hidden from
   assistive technology, and the button keeps its name, "Color mode". The pages are rewritten
   when the build finishes, since the theme's navigation bar is not part of a page's body.

and one is not a fix but the build's own step:

6. The page "Draw a digit" (``book/live_network.md``) loads the course CNN from
   ``_static/live/seed_cnn_mnist.js``, which the build writes from the committed network
   (``tools/export_web_model.py``, float16 weights), so that the page runs the network that the
   chapters load.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "_static/colab-badge.svg"
FONT_AWESOME_LINK = re.compile(
    r'<link\s+rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*"\s*/?>'
)


def _script_key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))


def keep_scripts_once(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated identical ``<script>`` entries from a page (fix 1)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def default_theme_mode(app, pagename, templatename, context, doctree) -> None:
    """Give the theme a default colour mode (fix 2), unless the book sets one."""
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def serve_from_the_book(app, pagename, templatename, context, doctree) -> None:
    """Drop the players' Font Awesome link and serve the Colab badge locally (fix 3)."""
    body = context.get("body")
    if not isinstance(body, str):
        return
    body = FONT_AWESOME_LINK.sub("", body)
    if COLAB_BADGE in body:
        body = body.replace(COLAB_BADGE, context["pathto"](LOCAL_BADGE, 1))
    context["body"] = body


def course_version(root: Path) -> str:
    """The course's edition: the version in ``pyproject.toml``."""
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def edition_footer(version: str) -> str:
    return (
        f'<p class="course-edition">Edition {version} of the course '
        "(see CHANGELOG.md; cite it with CITATION.cff).</p>"
    )


def name_the_edition(app, config) -> None:
    """Put the edition in the footer of every page (fix 4)."""
    options = dict(config.html_theme_options or {})
    footer = edition_footer(course_version(Path(app.confdir)))
    options["extra_footer"] = (options.get("extra_footer") or "") + footer
    config.html_theme_options = options


NAME_FIXES = (
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    (
        '<button class="btn search-button-field search-button__button pst-js-only" title="Search" '
        'aria-label="Search"',
        '<button class="btn search-button-field search-button__button pst-js-only" title="Search"',
    ),
    ('fa-lg" data-mode="light" title="Light">', 'fa-lg" data-mode="light" aria-hidden="true">'),
    ('fa-lg" data-mode="dark"  title="Dark">', 'fa-lg" data-mode="dark"  aria-hidden="true">'),
    (
        'fa-lg" data-mode="auto"  title="System Settings">',
        'fa-lg" data-mode="auto"  aria-hidden="true">',
    ),
)


def name_controls_by_their_text(html: str) -> str:
    """The page with its controls' names fixed (fix 5)."""
    for old, new in NAME_FIXES:
        html = html.replace(old, new)
    return html


def rewrite_pages(app, exception) -> None:
    """Apply fix 5 to every HTML page written by the build."""
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        fixed = name_controls_by_their_text(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def write_the_network(app, exception) -> None:
    """Write the page "Draw a digit"'s network into the built book (6)."""
    if exception is not None or app.builder.format != "html":
        return
    import export_web_model

    export_web_model.write_network(Path(app.outdir) / export_web_model.OUTPUT)


def setup(app) -> dict:
    app.connect("build-finished", rewrite_pages)
    app.connect("build-finished", write_the_network)
    app.connect("config-inited", name_the_edition)
    app.connect("html-page-context", serve_from_the_book)
    app.connect("html-page-context", default_theme_mode)
    app.connect("html-page-context", keep_scripts_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
