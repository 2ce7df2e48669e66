"""Checks of the built HTML book as a reader's browser sees it.

Used by ``tests/test_browser.py`` on the real book and by ``tests/test_site_checks.py`` on small
synthetic sites that break each rule on purpose. The browser part drives Debian's Chromium
through Playwright; each check is a function that returns a list of problems (empty when fine).

- :func:`serve` serves a folder on localhost (a threaded ``http.server``, in-process).
- :func:`open_browser` starts headless Chromium; :func:`browser_unavailable` says why it can't.
- :func:`visit` loads one page and records what a reader's browser met there: console errors,
  uncaught exceptions, failed requests, images, links, typeset math, and whether each animation
  player's controls change the frame shown.
- ``*_problems`` functions turn a :class:`PageVisit` (and the site's files) into problems.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html.parser
import io
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import build_pdf  # noqa: E402

# The browser the tests drive is the one that prints the PDF (tools/build_pdf.py).
CHROMIUM_ENV = build_pdf.CHROMIUM_ENV
CHROMIUM_PATHS = build_pdf.CHROMIUM_PATHS
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Requests the browser makes by itself, not the page: not a fault of the book.
BROWSER_OWN_PATHS = {"/favicon.ico"}
MATHJAX_TIMEOUT_MS = 20_000
# Text a reader would see if MathJax left TeX untouched.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\frac\{")
DATA_PNG = re.compile(r"data:image/png;base64,([^\"']+)")


# ----------------------------------------------------------------------------------------------
# Serving a folder and starting the browser


# The same small server that prints the PDF (tools/build_pdf.py).
serve = build_pdf.served


chromium_path = build_pdf.chromium


def browser_unavailable() -> str | None:
    """Why the browser checks cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed (pip install -r requirements.txt)"
    if chromium_path() is None:
        return (
            "no Chromium found (looked for $CNN_COURSE_CHROMIUM and "
            f"{', '.join(CHROMIUM_PATHS)}); install Debian's: apt-get install chromium"
        )
    return None


@contextlib.contextmanager
def open_browser():
    """Headless Chromium driven by Playwright; yields the Browser.

    Playwright starts it with a fresh temporary profile (user data dir) and removes it after.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


VIEWPORT = {"width": 1280, "height": 900}  # a laptop's browser window


def new_context(browser, base_url: str, *, theme: str | None = None, **options):
    """A fresh browser context (own storage) that only reaches ``base_url``'s server.

    Requests elsewhere (a CDN, the Colab badge) are aborted so that the checks never depend on
    the network; they are recorded by :func:`visit` as external. ``theme`` ("light" or "dark")
    is stored where the book's theme reads the reader's choice before any page loads.
    """
    context = browser.new_context(viewport=dict(VIEWPORT), **options)
    origin = _origin(base_url)
    context.route(lambda url: _origin(url) != origin, lambda route: route.abort())
    if theme is not None:
        context.add_init_script(
            f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');"
        )
    return context


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# ----------------------------------------------------------------------------------------------
# Visiting a page


@dataclass
class PageVisit:
    """What a browser met while loading (and using) one page."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    animations: list[dict] = field(default_factory=list)
    theme: str = ""


WAIT_FOR_MATHJAX = """async (timeout) => {
  const startup = window.MathJax && window.MathJax.startup;
  if (!startup || !startup.promise) return false;
  const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), timeout));
  return (await Promise.race([startup.promise.then(() => true), timer])) === true;
}"""

LOAD_IMAGES = """async () => {
  const images = [...document.images];
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  return images.map((img) => ({
    src: img.currentSrc || img.src,
    attribute: (img.getAttribute('src') || '').slice(0, 120),
    naturalWidth: img.naturalWidth,
    alt: img.getAttribute('alt'),
  }));
}"""

_MATH = """() => {
  const elements = [...document.querySelectorAll('.math')];
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .MathJax';
  const raw = [];
  const root = document.querySelector('article') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const pattern = new RegExp(RAW_TEX);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement && node.parentElement.closest(skip)) continue;
    if (pattern.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  return {
    elements: elements.length,
    typeset: elements.filter((e) => e.querySelector('mjx-container')).length,
    containers: document.querySelectorAll('mjx-container').length,
    mathjax_loaded: !!(window.MathJax && window.MathJax.startup),
    raw,
  };
}""".replace("RAW_TEX", json.dumps(RAW_TEX.pattern))


def wait_for_mathjax(page) -> bool:
    """Wait until MathJax has typeset the page (False: no MathJax, or it timed out)."""
    return page.evaluate(WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT_MS)


def visit(context, url: str, *, use_animations: bool = True) -> PageVisit:
    """Load ``url`` in a new tab of ``context`` and record what happened.

    Waits for MathJax's first typesetting, forces every image to load, collects the links, and
    (with ``use_animations``) presses Pause, Next frame and Play on every matplotlib animation
    player (``div.animation``) to see whether the frame shown changes.
    """
    result = PageVisit(url=url)
    origin = _origin(url)
    page = context.new_page()

    def on_console(message):
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        if location and _origin(location) != origin and message.text.startswith("Failed to load"):
            return  # an aborted external request: recorded as such below
        if urlsplit(location).path in BROWSER_OWN_PATHS:
            return
        result.console_errors.append(f"{message.text} ({location})" if location else message.text)

    def on_request_failed(request):
        if _origin(request.url) != origin:
            result.external_requests.append(request.url)
        elif urlsplit(request.url).path not in BROWSER_OWN_PATHS:
            result.failed_requests.append(f"{request.url}: {request.failure}")

    def on_response(response):
        if _origin(response.url) == origin and response.status >= 400:
            if urlsplit(response.url).path not in BROWSER_OWN_PATHS:
                result.failed_requests.append(f"{response.url}: HTTP {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: result.page_errors.append(str(error)))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until="load")
        wait_for_mathjax(page)
        result.images = page.evaluate(LOAD_IMAGES)
        result.links = page.evaluate(
            "() => [...document.querySelectorAll('a[href]')].map((a) => a.href)"
        )
        result.math = page.evaluate(_MATH)
        result.theme = page.evaluate("() => document.documentElement.dataset.theme || ''")
        if use_animations:
            result.animations = _use_animations(page)
        try:  # let late requests (fonts, search summaries) finish and be recorded
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that keeps talking is not a failure here
            pass
    finally:
        page.close()
    return result


ICON_FONT = "Font Awesome 6 Free"

# The players' button icons (<i class="fa fa-play">...): each must get a glyph from the icon font
# the book serves, and that font's file must load from the book.
_ICONS = """async ([player, font]) => {
  const loaded = await document.fonts.load(`900 16px "${font}"`);
  const problems = [];
  if (!loaded.some((face) => face.status === 'loaded'))
    problems.push(`the font "${font}" does not load`);
  for (const icon of player.querySelectorAll('button i')) {
    const style = getComputedStyle(icon, '::before');
    const glyph = style.content.replace(/["']/g, '');
    if (!glyph || glyph === 'none' || !style.fontFamily.includes(font))
      problems.push(`the icon "${icon.className}" has no glyph of ${font}`);
  }
  return problems;
}"""


def _use_animations(page) -> list[dict]:
    """Press the controls of each animation player; report whether the frame changed.

    Also records, as ``icons``, the button icons that get no glyph from the book's icon font.
    """
    found = []
    players = page.locator("div.animation")
    for index in range(players.count()):
        player = players.nth(index)
        image = player.locator("img").first
        slider = player.locator("input[type=range]").first
        report = {"index": index, "frames": None, "next_changes": False, "play_changes": False}
        if image.count() == 0 or slider.count() == 0:
            report["error"] = "no frame image or slider"
            found.append(report)
            continue
        report["frames"] = int(slider.get_attribute("max") or 0) + 1
        report["icons"] = page.evaluate(_ICONS, [player.element_handle(), ICON_FONT])
        try:
            player.locator('button[title="Pause"]').click(timeout=5000)
            player.locator('button[title="First frame"]').click(timeout=5000)
            first = image.get_attribute("src")
            for _ in range(3):  # a frame may repeat the previous one
                player.locator('button[title="Next frame"]').click(timeout=5000)
                if image.get_attribute("src") != first:
                    report["next_changes"] = True
                    break
            shown = image.get_attribute("src")
            player.locator('button[title="Play"]').click(timeout=5000)
            try:
                page.wait_for_function(
                    "([img, src]) => img.getAttribute('src') !== src",
                    arg=[image.element_handle(), shown],
                    timeout=5000,
                )
                report["play_changes"] = True
            except Exception:  # noqa: BLE001 - a timeout means the frame never changed
                report["play_changes"] = False
            player.locator('button[title="Pause"]').click(timeout=5000)
        except Exception as error:  # noqa: BLE001 - a missing or dead control
            report["error"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
        found.append(report)
    return found


# ----------------------------------------------------------------------------------------------
# Problems found in a visit


def js_problems(page: PageVisit) -> list[str]:
    """JavaScript errors: uncaught exceptions and console errors."""
    return [f"uncaught: {e}" for e in page.page_errors] + [
        f"console: {e}" for e in page.console_errors
    ]


def request_problems(page: PageVisit) -> list[str]:
    """Requests to the book's own server that failed (a missing script, image, font...)."""
    return list(page.failed_requests)


def image_problems(page: PageVisit) -> list[str]:
    """Images of the book (local or embedded) that did not load."""
    origin = _origin(page.url)
    broken = []
    for image in page.images:
        src = image["src"]
        local = src.startswith("data:") or _origin(src) == origin
        if local and not image["naturalWidth"]:
            broken.append(f"image does not load: {image['attribute'] or src[:120]}")
    return broken


def alt_problems(page: PageVisit) -> list[str]:
    """Images without a text alternative, or whose alt text is only a file's name or path.

    The theme's own images (its logos) have theirs; every figure and animation of the chapters
    gets one written for it (``mystnb: image: alt`` in the cell's metadata, ``alt=`` of
    ``utils.animation_html``).
    """
    problems = []
    for image in page.images:
        alt = (image.get("alt") or "").strip()
        name = image["attribute"] or image["src"][:60]
        if not alt:
            problems.append(f"no alt text: {name}")
        elif re.search(r"\.(png|jpe?g|svg|gif)$", alt, re.IGNORECASE) or "_images/" in alt:
            problems.append(f"alt text is a file name: {alt[:80]}")
    return problems


class _Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is not None and (name == "id" or (tag == "a" and name == "name")):
                self.anchors.add(value)


@functools.lru_cache(maxsize=512)
def anchors_of(path: Path) -> frozenset[str]:
    """The ids (and ``<a name>``) of an HTML file."""
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.anchors)


def local_target(url: str, base_url: str, site: Path) -> Path | None:
    """The file of ``site`` that a URL of the served site points at, or None if outside it."""
    if _origin(url) != _origin(base_url):
        return None
    path = unquote(urlsplit(url).path)
    base_path = urlsplit(base_url).path
    if not path.startswith(base_path):
        return None
    relative = path[len(base_path) :]
    target = site / relative
    if relative == "" or relative.endswith("/"):
        target = target / "index.html"
    return target


def link_problems(page: PageVisit, base_url: str, site: Path) -> list[str]:
    """Links of the page into the site whose file or ``#anchor`` does not exist."""
    problems = []
    for href in dict.fromkeys(page.links):
        if urlsplit(href).scheme not in ("http", "https"):
            continue  # mailto:, javascript:
        target = local_target(href, base_url, site)
        if target is None:
            continue  # external: not checked offline
        if not target.is_file():
            problems.append(f"dead link: {href} (no {target.relative_to(site).as_posix()})")
            continue
        fragment = unquote(urlsplit(href).fragment)
        if fragment and target.suffix == ".html" and fragment not in anchors_of(target):
            problems.append(f"missing anchor: {href}")
    return problems


def math_problems(page: PageVisit) -> list[str]:
    """Math the page holds that MathJax did not typeset, and raw TeX left in the text."""
    math = page.math
    problems = []
    if math.get("elements", 0) and not math.get("mathjax_loaded"):
        problems.append("the page has math but MathJax did not start")
    missing = math.get("elements", 0) - math.get("typeset", 0)
    if missing:
        problems.append(f"{missing} of {math['elements']} math elements not typeset")
    problems += [f"raw TeX left in the text: {text!r}" for text in math.get("raw", [])]
    return problems


def animation_problems(page: PageVisit, expected: int) -> list[str]:
    """Animation players missing (fewer than ``expected``) or with controls that do nothing."""
    problems = []
    if len(page.animations) != expected:
        problems.append(
            f"{len(page.animations)} animation players on the page, the notebook has {expected}"
        )
    for report in page.animations:
        name = f"animation {report['index'] + 1}"
        if report.get("error"):
            problems.append(f"{name}: {report['error']}")
            continue
        if (report.get("frames") or 0) < 2:
            problems.append(f"{name} has a single frame")
        if not report["next_changes"]:
            problems.append(f"{name}: 'Next frame' does not change the frame shown")
        if not report["play_changes"]:
            problems.append(f"{name}: 'Play' does not change the frame shown")
        problems += [f"{name}: {icon}" for icon in report.get("icons", [])]
    return problems


def external_problems(page: PageVisit) -> list[str]:
    """Whatever the page asked of another site: the book serves all it needs itself."""
    return [f"loads from another site: {url}" for url in dict.fromkeys(page.external_requests)]


def colab_problems(page: PageVisit, expected_url: str) -> list[str]:
    """No "Open in Colab" link to ``expected_url``, or one to another notebook."""
    colab = [link for link in page.links if urlsplit(link).netloc == "colab.research.google.com"]
    problems = [f"Colab link points elsewhere: {link}" for link in colab if link != expected_url]
    if expected_url not in colab:
        problems.append(f"no link to {expected_url}")
    return problems


def download_problems(page: PageVisit, base_url: str, site: Path, notebook: Path) -> list[str]:
    """No link that downloads ``notebook`` (the same .ipynb, cells and all) from the site."""
    candidates = [
        local_target(link, base_url, site)
        for link in page.links
        if urlsplit(link).path.endswith(f"/{notebook.name}")
    ]
    candidates = [path for path in candidates if path is not None]
    if not candidates:
        return [f"no download link for {notebook.name}"]
    problems = []
    for path in candidates:
        if not path.is_file():
            problems.append(f"download link to a missing file: {path.relative_to(site)}")
        elif json.loads(path.read_text())["cells"] != json.loads(notebook.read_text())["cells"]:
            problems.append(f"the downloaded {path.name} differs from {notebook}")
    return problems


# ----------------------------------------------------------------------------------------------
# Search


def search(context, base_url: str, term: str, timeout_ms: int = 20_000) -> list[str]:
    """URLs (without ``#anchor``) of the pages the book's search page lists for ``term``."""
    page = context.new_page()
    try:
        page.goto(f"{base_url}search.html?q={term}", wait_until="load")
        page.wait_for_function(
            "() => { const h = document.querySelector('#search-results h2');"
            " return h && h.textContent.trim() === 'Search Results'; }",
            timeout=timeout_ms,
        )
        links = page.evaluate(
            "() => [...document.querySelectorAll('#search-results ul.search li a')]"
            ".map((a) => a.href)"
        )
    finally:
        page.close()
    return list(dict.fromkeys(link.split("#")[0] for link in links))


WORD = re.compile(r"[A-Za-z]{6,}")


def distinctive_word(texts: dict[str, str], key: str) -> str | None:
    """A word of ``texts[key]`` that the fewest other texts contain (then: its most frequent)."""

    def words(text):
        text = re.sub(
            r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`]*`|\(http[^)]*\)|https?://\S+", " ", text, flags=re.S
        )
        return Counter(word.lower() for word in WORD.findall(text))

    counts = {name: words(text) for name, text in texts.items()}
    if not counts.get(key):
        return None

    def rank(word):
        others = sum(word in counts[name] for name in counts if name != key)
        return (others, -counts[key][word], word)

    return min(counts[key], key=rank)


# ----------------------------------------------------------------------------------------------
# Figures


def png_problems(png: bytes, light: float = 0.8) -> list[str]:
    """A figure that would not stay legible on a dark page: transparent pixels or a dark border.

    The course draws every figure on an opaque white background; a transparent PNG shows the
    page's colour through it (black lines on a dark theme vanish), and a dark border means a
    dark figure style. ``light`` is the least median luminance of the border (0 black, 1 white).
    """
    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    problems = []
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    rgba = np.asarray(image.convert("RGBA"), dtype=float) / 255.0
    if has_alpha and rgba[..., 3].min() < 1.0:
        share = float((rgba[..., 3] < 1.0).mean())
        problems.append(f"{share:.0%} of its pixels are (partly) transparent")
    width = max(1, min(rgba.shape[0], rgba.shape[1]) // 50)
    border = np.concatenate(
        [
            rgba[:width].reshape(-1, 4),
            rgba[-width:].reshape(-1, 4),
            rgba[:, :width].reshape(-1, 4),
            rgba[:, -width:].reshape(-1, 4),
        ]
    )
    # as shown over a black page: transparent pixels show the page
    luminance = (border[:, :3] * border[:, 3:]) @ np.array([0.2126, 0.7152, 0.0722])
    median = float(np.median(luminance))
    if median < light:
        problems.append(f"its border is dark (median luminance {median:.2f}, 1 = white)")
    return problems


def notebook_pngs(notebook: Path) -> Iterator[tuple[str, bytes]]:
    """``(where, png bytes)`` of every PNG a notebook's outputs show, animation frames included."""
    nb = json.loads(notebook.read_text())
    for index, cell in enumerate(nb["cells"], start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                yield f"cell {index}", base64.b64decode("".join(data["image/png"]))
            html_text = "".join(data.get("text/html", ""))
            for frame, match in enumerate(DATA_PNG.finditer(html_text), start=1):
                payload = re.sub(r"[^A-Za-z0-9+/=]", "", match.group(1))
                yield f"cell {index} animation frame {frame}", base64.b64decode(payload)


FIGURES = ".cell_output img, div.animation img"


def figure_screenshots(page, selector: str = FIGURES) -> list[tuple[int, bytes]]:
    """``(number, png)``: a screenshot of each visible figure as the page shows it.

    CSS filters of the theme are included. Every image is loaded first (a late one would move
    the others), and the window is made taller than each figure, since Chromium captures an
    element taller than the window from the wrong place.
    """
    page.evaluate(LOAD_IMAGES)
    viewport = page.viewport_size
    shots = []
    figures = page.locator(selector)
    for index in range(figures.count()):
        figure = figures.nth(index)
        box = figure.bounding_box() if figure.is_visible() else None
        if not box or box["width"] < 1 or box["height"] < 1:
            continue
        height = max(viewport["height"], int(box["height"]) + 200)
        page.set_viewport_size({"width": viewport["width"], "height": height})
        shots.append((index + 1, figure.screenshot()))
    page.set_viewport_size(viewport)
    return shots


def screenshot_problems(png: bytes, light: float = 0.5) -> list[str]:
    """A figure as the page shows it (an element screenshot) whose border is not light.

    On the dark theme the book dims images a little (a CSS filter), so the bar is lower than for
    the PNG files themselves; a figure drawn on a transparent or dark background falls far below.
    """
    from PIL import Image

    # An element screenshot at a fractional position blends its outermost pixels with the page:
    # the border is read just inside them.
    image = Image.open(io.BytesIO(png))
    inset = 2 if min(image.size) > 20 else 0
    cropped = image.crop((inset, inset, image.width - inset, image.height - inset))
    buffer = io.BytesIO()
    cropped.save(buffer, format="PNG")
    return [p for p in png_problems(buffer.getvalue(), light=light) if "border" in p]


# ----------------------------------------------------------------------------------------------
# Checks on a live page: they click and measure, so they take a page, not a visit

SOLUTION_PROMPT = "Show the solution to exercise"
_TOGGLES = "details.hide"


def solution_problems(page, outputs: list[bool]) -> list[str]:
    """Each exercise's solution, code and output, hidden until its own toggle is clicked.

    A solution is a ``details`` toggle (MyST-NB's ``hide-cell``) whose summary reads "Show the
    solution to exercise N". Before the click neither its code nor its output may be visible;
    after it both must be. ``outputs`` says, for each solution of the notebook, whether it has an
    output (some only assert).
    """
    toggles = page.locator(_TOGGLES).filter(has_text=SOLUTION_PROMPT)
    found = toggles.count()
    problems = (
        [] if found == len(outputs) else [f"{found} solution toggles, {len(outputs)} solutions"]
    )
    for index, has_output in zip(range(found), outputs, strict=False):
        toggle = toggles.nth(index)
        summary = toggle.locator("summary").first
        name = " ".join(summary.inner_text().split()) or f"toggle {index + 1}"
        parts = {
            "code": toggle.locator(".cell_input"),
            "output": toggle.locator(".cell_output"),
        }
        if not has_output:
            del parts["output"]
        for what, part in parts.items():
            if part.count() == 0:
                problems.append(f"{name}: its {what} is not inside the toggle")
            elif part.first.is_visible():
                problems.append(f"{name}: its {what} is visible before the toggle is clicked")
        summary.click()
        for what, part in parts.items():
            if part.count() and not part.first.is_visible():
                problems.append(f"{name}: its {what} is still hidden after the click")
    return problems


def open_toggles(page) -> int:
    """Open every closed toggle (solutions, hidden checks) so their contents can be looked at."""
    closed = page.locator(f"{_TOGGLES}:not([open]) > summary")  # re-evaluated at each use
    count = closed.count()
    for _ in range(count):
        closed.first.click()
    return count


_CODE_OVERFLOW = """() => [...document.querySelectorAll('article div.highlight pre')]
  .filter((pre) => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
  .map((pre) => {
    const longest = pre.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a));
    return `${pre.scrollWidth - pre.clientWidth} px too wide: ${longest.trim().slice(0, 60)}`;
  })"""


def code_overflow_problems(page) -> list[str]:
    """Visible code blocks that scroll sideways (their longest line is cut at the page width)."""
    return page.evaluate(_CODE_OVERFLOW)


# ----------------------------------------------------------------------------------------------
# Self-check questions and "your turn" solutions

SELF_CHECK = ".cnn-self-check"
YOUR_TURN_PROMPT = "Show a solution"


def _answers(spec: dict) -> tuple[str, str]:
    """A wrong and the right answer to a question, as a reader would give them."""
    if spec["kind"] == "choice":
        return str((spec["answer"] + 1) % 2), str(spec["answer"])
    wrong = spec["answer"] + 2 * spec["tolerance"] + 1
    return f"{wrong:.12g}", f"{spec['answer']:.12g}"  # as typed: every digit of a large count


def self_check_problems(page, expected: int) -> list[str]:
    """Answer every self-check question of the page wrongly, then rightly, as a reader does.

    A choice is clicked, a number typed (and sent with Enter, from the keyboard alone); the
    feedback must say "Not quite" after the wrong answer and "Right" after the right one.
    ``expected`` is the number of questions the notebook holds.
    """
    boxes = page.locator(SELF_CHECK)
    found = boxes.count()
    problems = [] if found == expected else [f"{found} self-check questions, {expected} expected"]
    for index in range(found):
        box = boxes.nth(index)
        spec = json.loads(box.get_attribute("data-check") or "{}")
        name = f"question {index + 1}"
        feedback = box.locator(".cnn-feedback")
        wrong, right = _answers(spec)
        for answer, start in ((wrong, "Not quite"), (right, "Right")):
            if spec.get("kind") == "choice":
                box.locator(f'input[type=radio][value="{answer}"]').check()
                box.locator("button").click()
            else:
                box.locator("input[type=text]").fill(answer)
                box.locator("input[type=text]").press("Enter")
            said = feedback.inner_text().strip()
            if not said.startswith(start):
                problems.append(f"{name}: answered {answer!r}, it says {said!r}")
    return problems


def your_turn_problems(page, expected: int) -> list[str]:
    """Each "your turn" solution: its code hidden until its toggle is clicked, its checker's
    "Right" in view all along."""
    toggles = page.locator(_TOGGLES).filter(has_text=YOUR_TURN_PROMPT)
    found = toggles.count()
    problems = [] if found == expected else [f"{found} 'your turn' solutions, {expected} expected"]
    for index in range(found):
        toggle = toggles.nth(index)
        code = toggle.locator(".highlight")
        if code.count() == 0 or code.first.is_visible():
            problems.append(f"solution {index + 1}: its code is in view before the click")
        toggle.locator("summary").first.click()
        if code.count() and not code.first.is_visible():
            problems.append(f"solution {index + 1}: its code is still hidden after the click")
        verdict = toggle.locator("xpath=following-sibling::*[1]")
        text = verdict.inner_text() if verdict.count() else ""
        if not text.strip().startswith("Right:"):
            problems.append(f"solution {index + 1}: its checker's 'Right' is not under it")
    return problems


PHONE = {"width": 390, "height": 844}  # a phone held upright, in CSS pixels

_PAGE_OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX) && a !== document.body
          && a !== document.documentElement) return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    if (el.offsetParent === null) return false;
    const box = el.getBoundingClientRect();
    return box.right > width + 1 && box.width > 0 && !scrolls(el);
  });
  // only the outermost of nested offenders
  const outer = wide.filter((el) => !wide.some((other) => other !== el && other.contains(el)));
  return {
    page: document.documentElement.scrollWidth - width,
    elements: outer.slice(0, 8).map((el) => {
      const text = (el.textContent || el.getAttribute('alt') || '').trim().slice(0, 50);
      const right = Math.round(el.getBoundingClientRect().right - width);
      return `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${right} px out: ${text}`;
    }),
  };
}
"""


def page_overflow_problems(page) -> list[str]:
    """Why the page scrolls sideways at its viewport's width: the elements that stick out.

    Elements inside a box that scrolls by itself (a code block) do not count: they do not move
    the page.
    """
    found = page.evaluate(_PAGE_OVERFLOW_JS)
    if found["page"] <= 1 and not found["elements"]:
        return []
    return [f"the page is {found['page']} px wider than the screen"] + found["elements"]


AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # WCAG 2.1, levels A and AA
AXE_IMPACTS = ("serious", "critical")
# Violations that come from the theme and cannot be fixed from the book: none today. Each entry
# would be (rule id, CSS selector of the element) with the reason beside it.
AXE_IGNORED: tuple[tuple[str, str], ...] = ()


AXE_SCRIPT = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    """axe-core's script, installed from npm by ``tools/build.py`` (``tests/a11y``)."""
    if not AXE_SCRIPT.is_file():
        raise FileNotFoundError(
            f"{AXE_SCRIPT} is missing: run tools/build.sh (it installs axe-core with npm, "
            "which needs Node.js), or npm ci --prefix tests/a11y"
        )
    return AXE_SCRIPT.read_text()


AXE_FULL_ENV = "CNN_COURSE_AXE_FULL"
# Left out unless CNN_COURSE_AXE_FULL=1: the code cells' sources, thousands of highlighted spans
# whose colours come from the theme's accessible Pygments styles (a11y-light, a11y-dark); checking
# their contrast takes most of axe's time.
AXE_EXCLUDED = [".cell_input"]


def accessibility_problems(page, source: str, rules: list[str] | None = None) -> list[str]:
    """axe-core's serious and critical violations of WCAG 2.1 A/AA on the page, one line each.

    ``rules`` limits the check to those axe rule ids (``["color-contrast"]``, say); by default
    every rule of :data:`AXE_RULES`' tags runs. The parts of :data:`AXE_EXCLUDED` are left out
    unless ``CNN_COURSE_AXE_FULL=1``.
    """
    page.add_script_tag(content=source)
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_RULES}
    exclude = [] if os.environ.get(AXE_FULL_ENV) == "1" else [[part] for part in AXE_EXCLUDED]
    result = page.evaluate(
        "async ([only, exclude]) => await axe.run({include: [['html']], exclude: exclude},"
        " {runOnly: only, resultTypes: ['violations']})",
        [only, exclude],
    )
    problems = []
    for violation in result["violations"]:
        if violation["impact"] not in AXE_IMPACTS:
            continue
        for node in violation["nodes"]:
            target = " ".join(map(str, node["target"]))
            if (violation["id"], target) in AXE_IGNORED:
                continue
            summary = " ".join(node.get("failureSummary", "").split())[:160]
            problems.append(f"{violation['id']} ({violation['impact']}) at {target}: {summary}")
    return problems


TOGGLES_PRESSED = 3  # per page


def keyboard_problems(page) -> list[str]:
    """What a reader with a keyboard alone cannot do on the page.

    Each control is reached as the Tab key reaches it (it must be focusable: ``tabIndex >= 0``,
    visible, not disabled) and used with the keys a keyboard user presses: Enter on an animation
    player's "Next frame" button and ArrowRight on its slider must each change the frame shown;
    Enter on a toggle (a ``summary``: hidden code, a solution) must open it, and again close it
    (tried on the first :data:`TOGGLES_PRESSED` of the page; every toggle must be reachable).
    """
    problems = []

    def reachable(handle) -> bool:
        return page.evaluate(
            "(el) => el.tabIndex >= 0 && !el.disabled && el.offsetParent !== null", handle
        )

    players = page.locator("div.animation")
    for index in range(players.count()):
        player = players.nth(index)
        image = player.locator("img").first
        controls = {
            "the Next frame button": (player.locator('button[title="Next frame"]').first, "Enter"),
            "the frame slider": (player.locator("input[type=range]").first, "ArrowRight"),
        }
        pause, first = (player.locator(f'button[title="{t}"]') for t in ("Pause", "First frame"))
        if image.count() == 0 or pause.count() == 0 or first.count() == 0:
            problems.append(f"animation {index + 1}: no frame image or controls")
            continue
        pause.first.click()
        first.first.click()
        for name, (control, key) in controls.items():
            if control.count() == 0 or not reachable(control.element_handle()):
                problems.append(f"animation {index + 1}: {name} cannot be reached with Tab")
                continue
            before = image.get_attribute("src")
            control.focus()
            for _ in range(3):  # a frame may repeat the previous one
                page.keyboard.press(key)
                if image.get_attribute("src") != before:
                    break
            else:
                problems.append(f"animation {index + 1}: {key} on {name} does not change the frame")
    # Every visible toggle must be reachable; Enter is pressed on the first few (they are one
    # component of the theme, each kind of hidden content the same).
    unreachable = page.evaluate(
        """() => [...document.querySelectorAll('details > summary')]
            .map((el, i) => [i, el])
            .filter(([, el]) => el.offsetParent !== null)
            .filter(([, el]) => el.tabIndex < 0)
            .map(([i]) => i)"""
    )
    problems += [f"toggle {i + 1}: cannot be reached with Tab" for i in unreachable]
    toggles = page.locator("details > summary")
    tried = 0
    for index in range(toggles.count()):
        summary = toggles.nth(index)
        if tried == TOGGLES_PRESSED or index in unreachable or not summary.is_visible():
            continue
        tried += 1
        is_open = "(el) => el.parentElement.open"
        was = page.evaluate(is_open, summary.element_handle())
        summary.focus()
        page.keyboard.press("Enter")
        now = page.evaluate(is_open, summary.element_handle())
        page.keyboard.press("Enter")
        again = page.evaluate(is_open, summary.element_handle())
        if now == was or again != was:
            problems.append(f"toggle {index + 1}: Enter does not open and close it")
    return problems
