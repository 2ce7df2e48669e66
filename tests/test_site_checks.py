"""The checks of the browser tests catch what they are meant to catch.

A tiny synthetic site holds a page that passes every check and a page that breaks each of them
(a broken image, a dead link and anchor, a JavaScript error, a missing script, untypeset math,
animations whose controls do nothing, a wrong or missing Colab link, no download link); the
checks of ``tests/site_checks.py`` must pass the first and report every fault of the second.
The pure checks are also tested on hand-made visits, without a browser.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
import site_checks as sc  # noqa: E402
from conftest import ROOT  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import sphinx_fixes  # noqa: E402

import utils  # noqa: E402

COLAB = "https://colab.research.google.com/github/owner/repo/blob/main/book/nb.ipynb"


def figure_png(**savefig) -> bytes:
    fig, ax = plt.subplots(
        figsize=savefig.pop("figsize", (2, 1.5)),
        dpi=50,
        facecolor=savefig.pop("facecolor", "white"),
    )
    ax.plot([0, 1], [0, 1], color="black")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **savefig)
    plt.close(fig)
    return buffer.getvalue()


def animation_html(frames: int = 3, moving: bool = True) -> str:
    fig, ax = plt.subplots(figsize=(1, 1), dpi=40, facecolor="white")
    (line,) = ax.plot([0, 1], [0, 0])
    ax.set_ylim(-1, frames)

    def draw(i):
        line.set_ydata([0, i if moving else 0])
        return (line,)

    anim = FuncAnimation(fig, draw, frames=frames, interval=50)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return html


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("1 + 1")]
    return nb


HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{scripts}
</head><body><article>{body}</article></body></html>"""
MATHJAX = '<script defer src="_static/mathjax/tex-chtml-full.js"></script>'
THEME_CSS = '<link rel="stylesheet" href="_static/styles/pydata-sphinx-theme.css">'


def copy_theme_icons(site):
    """The theme's style sheet and Font Awesome fonts, as the book serves them."""
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    for part in ("styles", "vendor"):
        shutil.copytree(static / part, site / "_static" / part, dirs_exist_ok=True)


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "vendor" / "_static", site / "_static")
    copy_theme_icons(site)
    (site / "fig.png").write_bytes(figure_png())
    notebook = site / "source" / "nb.ipynb"
    notebook.parent.mkdir()
    nbformat.write(tiny_notebook(), notebook)
    (site / "_sources" / "book").mkdir(parents=True)
    shutil.copy(notebook, site / "_sources" / "book" / "nb.ipynb")
    (site / "other.html").write_text(
        HEAD.format(title="other", scripts="", body='<p id="target">here</p>')
    )
    good = f"""<h1 id="top">A good page</h1>
<p><img src="fig.png" alt="a figure"> <a href="other.html#target">there</a> <a href="#top">up</a>
<a href="{COLAB}">Open in Colab</a> <a href="_sources/book/nb.ipynb">.ipynb</a>
<a href="https://example.org/elsewhere">outside</a></p>
<p>Inline <span class="math notranslate nohighlight">\\(x^2\\)</span> and display:</p>
<div class="math notranslate nohighlight">\\[y = \\sum_i x_i\\]</div>
{sphinx_fixes.FONT_AWESOME_LINK.sub("", animation_html())}"""
    (site / "good.html").write_text(
        HEAD.format(title="good", scripts=MATHJAX + THEME_CSS, body=good)
    )
    broken = f"""<h1>A broken page</h1>
<p><img src="missing.png" alt="lost"> <a href="nowhere.html">dead</a>
<a href="other.html#nope">no anchor</a>
<a href="{COLAB.replace("nb.ipynb", "other.ipynb")}">Open in Colab</a></p>
<p>Inline <span class="math notranslate nohighlight">\\(x^2\\)</span>, and $$z$$ left raw.</p>
{animation_html(moving=False)}
<div class="animation"><img src="fig.png"></div>
<script src="missing.js"></script>
<script>console.error("something went wrong");</script>
<script>throw new Error("boom");</script>"""
    (site / "broken.html").write_text(HEAD.format(title="broken", scripts="", body=broken))
    (site / "clear.png").write_bytes(figure_png(transparent=True))
    (site / "tall.png").write_bytes(figure_png(figsize=(2, 30)))
    dark = """<div style="height: 1500px"></div>
<div class="cell_output"><img src="fig.png"></div>
<div class="cell_output"><img src="clear.png"></div>
<div class="cell_output"><img src="tall.png"></div>"""
    (site / "dark.html").write_text(
        HEAD.format(title="dark", scripts="<style>body {background: #111}</style>", body=dark)
    )
    (site / "solutions.html").write_text(HEAD.format(title="solutions", scripts="", body=SOLUTIONS))
    (site / "inaccessible.html").write_text(
        HEAD.format(title="inaccessible", scripts="", body=INACCESSIBLE)
    )
    (site / "interactive.html").write_text(
        HEAD.format(title="interactive", scripts="", body=INTERACTIVE)
    )
    (site / "interactive_broken.html").write_text(
        HEAD.format(title="interactive, broken", scripts="", body=INTERACTIVE_BROKEN)
    )
    return site


INACCESSIBLE = """<h1>Hard to read</h1>
<p style="color: #c8c8c8; background: #ffffff">grey on white</p>
<button aria-label="Go">Search the book</button>
<div class="cell_input"><p style="color: #d0d0d0; background: #ffffff">code, left out</p></div>
<details><summary tabindex="-1">Show the solution</summary><p>hidden</p></details>
<details><summary>Show code cell source</summary><p>code</p></details>"""


def solution(number: int, inside: str, after: str = "", open_: bool = False) -> str:
    return (
        f'<details class="hide"{" open" if open_ else ""}><summary>'
        f"<p>Show the solution to exercise {number}</p></summary>{inside}</details>{after}"
    )


CODE = '<div class="cell_input"><div class="highlight"><pre>{}</pre></div></div>'
OUTPUT = '<div class="cell_output"><pre>answer {}</pre></div>'
SOLUTIONS = (
    solution(1, CODE.format("x = 1") + OUTPUT.format(1))
    + solution(2, CODE.format("x = 2"), after=OUTPUT.format(2))  # its answer shows below
    + solution(3, CODE.format("x = 3") + OUTPUT.format(3), open_=True)  # open from the start
    + solution(4, CODE.format("assert True"))  # asserts only: no output to hide
    + '<div class="highlight"><pre style="width: 200px; overflow-x: auto">'
    + "a_line_of_code = 'far wider than the two hundred pixels of its block'</pre></div>"
)


QUESTIONS = [
    utils.self_check("Two plus two?", answer=4, explain="2 + 2 = 4."),
    utils.self_check(
        "Pooling learns?", choices=["weights", "nothing"], answer="nothing", explain="."
    ),
]
YOUR_TURN = (
    '<div class="cell"><details class="hide above-input"><summary><p>Show a solution</p>'
    '</summary><div class="cell_input"><div class="highlight"><pre>x = 1</pre></div></div>'
    '</details><div class="cell_output"><pre>{verdict}</pre></div></div>'
)
INTERACTIVE = "".join(q._repr_html_() for q in QUESTIONS) + YOUR_TURN.format(verdict="Right: yes")
# the questions without their script, a solution open from the start and not passing its check
INTERACTIVE_BROKEN = "".join(
    q._repr_html_().split("<script>")[0] for q in QUESTIONS
) + YOUR_TURN.format(verdict="Not right yet: no").replace(
    'class="hide above-input"', 'class="hide above-input" open'
)


@pytest.fixture(scope="module")
def served(browser, synthetic_site):
    with sc.serve(synthetic_site) as url:
        context = sc.new_context(browser, url)
        yield synthetic_site, url, context
        context.close()
        dark = sc.new_context(browser, url, theme="dark")
        page = dark.new_page()
        page.goto(url + "other.html")
        # new_context(theme=...) writes the reader's choice where the book's theme reads it.
        assert page.evaluate("() => localStorage.getItem('mode')") == "dark"
        dark.close()


def test_a_clean_page_passes_every_check(served):
    site, url, context = served
    page = sc.visit(context, url + "good.html")
    assert sc.js_problems(page) == []
    assert sc.request_problems(page) == []
    assert sc.image_problems(page) == []
    assert sc.link_problems(page, url, site) == []
    assert sc.math_problems(page) == []
    assert page.math["typeset"] == 2
    assert sc.animation_problems(page, expected=1) == []
    assert page.animations[0]["frames"] == 3
    assert sc.colab_problems(page, COLAB) == []
    assert sc.download_problems(page, url, site, site / "source" / "nb.ipynb") == []
    assert sc.external_problems(page) == []  # the player's icons come from the site's own font


def test_every_fault_of_a_broken_page_is_reported(served):
    site, url, context = served
    page = sc.visit(context, url + "broken.html")
    js = "\n".join(sc.js_problems(page))
    assert "boom" in js and "something went wrong" in js
    requests = "\n".join(sc.request_problems(page))
    assert "missing.js" in requests and "missing.png" in requests
    assert sc.image_problems(page) == ["image does not load: missing.png"]
    links = sc.link_problems(page, url, site)
    assert any(p.startswith("dead link") and "nowhere.html" in p for p in links)
    assert any(p.startswith("missing anchor") and "#nope" in p for p in links)
    assert len(links) == 2
    math = "\n".join(sc.math_problems(page))
    assert "MathJax did not start" in math and "1 of 1 math elements not typeset" in math
    assert "raw TeX" in math and "$$z$$" in math
    animations = "\n".join(sc.animation_problems(page, expected=1))
    assert "2 animation players on the page, the notebook has 1" in animations
    assert "'Next frame' does not change" in animations and "'Play' does not change" in animations
    assert "animation 2: no frame image or slider" in animations
    # matplotlib's player as it comes: its icon style sheet from a CDN, blocked; no icon font
    assert 'animation 1: the icon "fa fa-play" has no glyph of Font Awesome 6 Free' in animations
    assert 'the font "Font Awesome 6 Free" does not load' in animations
    external = sc.external_problems(page)
    assert len(external) == 1 and "font-awesome.min.css" in external[0]
    colab = sc.colab_problems(page, COLAB)
    assert any("points elsewhere" in p for p in colab) and any("no link to" in p for p in colab)
    assert sc.download_problems(page, url, site, site / "source" / "nb.ipynb") == [
        "no download link for nb.ipynb"
    ]


def test_self_checks_and_your_turn_solutions_are_checked_as_a_reader_uses_them(served):
    _, url, context = served
    page = context.new_page()
    page.goto(url + "interactive.html")
    assert sc.self_check_problems(page, expected=2) == []
    assert sc.your_turn_problems(page, expected=1) == []
    page.goto(url + "interactive_broken.html")
    assert sc.self_check_problems(page, expected=3) == [
        "2 self-check questions, 3 expected",
        "question 1: answered '5', it says ''",
        "question 1: answered '4', it says ''",
        "question 2: answered '0', it says ''",
        "question 2: answered '1', it says ''",
    ]
    assert sc.your_turn_problems(page, expected=1) == [
        "solution 1: its code is in view before the click",
        "solution 1: its code is still hidden after the click",  # the click closed it
        "solution 1: its checker's 'Right' is not under it",
    ]
    page.close()


def test_figures_on_a_dark_page_are_captured_as_shown(served):
    _, url, context = served
    page = context.new_page()
    page.goto(url + "dark.html")
    shots = sc.figure_screenshots(page)
    page.close()
    assert [number for number, _ in shots] == [1, 2, 3]
    assert sc.screenshot_problems(shots[0][1]) == []  # white, opaque
    assert sc.screenshot_problems(shots[1][1]) != []  # transparent: shows the dark page
    assert sc.screenshot_problems(shots[2][1]) == []  # taller than the window, still captured


def test_solution_and_code_width_checks_report_each_fault(served):
    _, url, context = served
    page = context.new_page()
    try:
        page.goto(url + "solutions.html")
        problems = sc.solution_problems(page, [True, True, True, False, True])
        overflowing = sc.code_overflow_problems(page)
    finally:
        page.close()
    assert problems == [
        "4 solution toggles, 5 solutions",
        "Show the solution to exercise 2: its output is not inside the toggle",
        "Show the solution to exercise 3: its code is visible before the toggle is clicked",
        "Show the solution to exercise 3: its output is visible before the toggle is clicked",
        "Show the solution to exercise 3: its code is still hidden after the click",
        "Show the solution to exercise 3: its output is still hidden after the click",
    ]
    # solution 1 passed every step; once opened, its short code fits, the wide block does not
    assert len(overflowing) == 1 and "px too wide: a_line_of_code" in overflowing[0]


# Pure checks on hand-made visits: no browser needed.

BASE = "http://127.0.0.1:8000/"


def test_link_problems_resolve_files_anchors_and_folders(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "index.html").write_text('<a name="old"></a>')
    (tmp_path / "book" / "a.html").write_text('<h1 id="intro">x</h1><p id="x">')
    page = sc.PageVisit(
        url=BASE + "book/a.html",
        links=[
            BASE + "book/a.html#intro",
            BASE + "#old",
            BASE + "book/a.html?x=1",
            "https://example.org/a.html#nope",
            "mailto:someone@example.org",
            BASE + "book/b.html",
            BASE + "book/a.html#gone",
            BASE + "book/",
        ],
    )
    assert sc.link_problems(page, BASE, tmp_path) == [
        f"dead link: {BASE}book/b.html (no book/b.html)",
        f"missing anchor: {BASE}book/a.html#gone",
        f"dead link: {BASE}book/ (no book/index.html)",
    ]


def test_image_problems_ignore_external_images_only():
    page = sc.PageVisit(
        url=BASE + "a.html",
        images=[
            {"src": BASE + "ok.png", "attribute": "ok.png", "naturalWidth": 10},
            {"src": BASE + "bad.png", "attribute": "bad.png", "naturalWidth": 0},
            {"src": "data:image/png;base64,xx", "attribute": "data:...", "naturalWidth": 0},
            {"src": "https://example.org/badge.svg", "attribute": "badge", "naturalWidth": 0},
        ],
    )
    assert sc.image_problems(page) == [
        "image does not load: bad.png",
        "image does not load: data:...",
    ]


def test_colab_problems_need_exactly_this_notebook():
    assert sc.colab_problems(sc.PageVisit(url=BASE, links=[COLAB, COLAB]), COLAB) == []
    assert sc.colab_problems(sc.PageVisit(url=BASE, links=[]), COLAB) == [f"no link to {COLAB}"]


def test_png_problems_catch_transparent_and_dark_figures():
    assert sc.png_problems(figure_png()) == []
    transparent = sc.png_problems(figure_png(transparent=True))
    assert any("transparent" in p for p in transparent)
    assert any("dark" in p for p in transparent)  # transparent black border pixels
    assert sc.png_problems(figure_png(facecolor="black")) == [
        "its border is dark (median luminance 0.00, 1 = white)"
    ]


def test_notebook_pngs_finds_images_and_animation_frames(tmp_path):
    nb = tiny_notebook()
    png = figure_png()
    nb.cells[1].outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(png).decode()}),
        nbformat.v4.new_output("display_data", data={"text/html": animation_html(frames=4)}),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    found = list(sc.notebook_pngs(path))
    assert [where for where, _ in found] == ["cell 2"] + [
        f"cell 2 animation frame {i}" for i in range(1, 5)
    ]
    assert found[0][1] == png
    assert all(sc.png_problems(data) == [] for _, data in found)


def test_distinctive_word_prefers_a_word_no_other_page_has():
    texts = {
        "a": "Convolution slides a kernel. Convolution again, and pooling.",
        "b": "Pooling shrinks. Convolution too.",
        "c": "",
    }
    assert sc.distinctive_word(texts, "a") == "kernel"  # 'slides' also; 'kernel' sorts first
    assert sc.distinctive_word(texts, "b") == "shrinks"
    assert sc.distinctive_word(texts, "c") is None
    # math, code and links are not searchable words
    assert sc.distinctive_word({"x": "$\\lfloor$ `kernelsize` (https://zzzzzzz.org)"}, "x") is None


def test_animations_counted_against_the_notebook():
    page = sc.PageVisit(url=BASE)
    assert sc.animation_problems(page, expected=0) == []
    assert sc.animation_problems(page, expected=1) == [
        "0 animation players on the page, the notebook has 1"
    ]
    page.animations = [{"index": 0, "frames": 1, "next_changes": True, "play_changes": True}]
    assert sc.animation_problems(page, expected=1) == ["animation 1 has a single frame"]


def test_download_must_be_the_same_notebook(tmp_path):
    source = tmp_path / "nb.ipynb"
    nbformat.write(tiny_notebook(), source)
    (tmp_path / "_sources").mkdir()
    other = tiny_notebook()
    other.cells.append(nbformat.v4.new_markdown_cell("extra"))
    nbformat.write(other, tmp_path / "_sources" / "nb.ipynb")
    page = sc.PageVisit(url=BASE, links=[BASE + "_sources/nb.ipynb"])
    assert sc.download_problems(page, BASE, tmp_path, source) == [
        f"the downloaded nb.ipynb differs from {source}"
    ]
    (tmp_path / "_sources" / "nb.ipynb").write_text(json.dumps(json.loads(source.read_text())))
    assert sc.download_problems(page, BASE, tmp_path, source) == []


def test_math_problems_on_a_page_without_math():
    page = sc.PageVisit(url=BASE, math={"elements": 0, "typeset": 0, "raw": []})
    assert sc.math_problems(page) == []
    page.math = {"elements": 2, "typeset": 2, "mathjax_loaded": True, "raw": []}
    assert sc.math_problems(page) == []


def test_checks_run_offline_only_on_the_served_site():
    assert sc.local_target("https://example.org/x.html", BASE, ROOT) is None
    assert sc.local_target(BASE + "a%20b.html#x", BASE, ROOT) == ROOT / "a b.html"
    assert sc.local_target(BASE, BASE, ROOT) == ROOT / "index.html"


def test_alt_problems_find_missing_and_file_name_alt_texts():
    def image(alt):
        return {
            "src": "http://x/_images/a.png",
            "attribute": "../_images/a.png",
            "alt": alt,
            "naturalWidth": 10,
        }

    page = sc.PageVisit(
        url=BASE,
        images=[
            image("A 3x3 kernel slides over the image"),
            image(None),
            image(""),
            image("../_images/834bdadd.png"),
            image("figure.PNG"),
        ],
    )
    assert sc.alt_problems(page) == [
        "no alt text: ../_images/a.png",
        "no alt text: ../_images/a.png",
        "alt text is a file name: ../_images/834bdadd.png",
        "alt text is a file name: figure.PNG",
    ]


def test_accessibility_problems_report_axe_cores_serious_violations(served, monkeypatch):
    site, url, context = served
    source = sc.axe_source()

    def check(name, rules=None):
        page = context.new_page()
        try:
            page.goto(url + name, wait_until="load")
            return sc.accessibility_problems(page, source, rules)
        finally:
            page.close()

    found = check("inaccessible.html")
    assert len([p for p in found if p.startswith("color-contrast (serious)")]) == 1  # not the code
    assert any(p.startswith("label-content-name-mismatch (serious) at button") for p in found)
    assert check("inaccessible.html", ["color-contrast"]) == [
        p for p in found if p.startswith("color-contrast")
    ]
    monkeypatch.setenv(sc.AXE_FULL_ENV, "1")
    full = check("inaccessible.html", ["color-contrast"])
    assert len(full) == 2 and any("#d0d0d0" in p for p in full)  # the code, now checked
    monkeypatch.delenv(sc.AXE_FULL_ENV)


def test_keyboard_problems_find_controls_a_keyboard_cannot_use(served):
    site, url, context = served

    def check(name):
        page = context.new_page()
        try:
            page.goto(url + name, wait_until="load")
            return sc.keyboard_problems(page)
        finally:
            page.close()

    assert check("good.html") == []  # a working player, from the keyboard too
    assert check("inaccessible.html") == ["toggle 1: cannot be reached with Tab"]
    stuck = check("broken.html")  # a player whose frame never changes
    assert "animation 1: Enter on the Next frame button does not change the frame" in stuck
