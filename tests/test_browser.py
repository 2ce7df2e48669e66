"""The built book as a reader sees it: every page of the TOC in headless Chromium.

The book is built (``built_book``), served on localhost and opened in Debian's Chromium through
Playwright; requests that leave localhost are aborted, so the checks run offline. Without
Chromium (or Playwright) these tests are skipped and say why (the ``browser`` fixture of
``tests/conftest.py``). The checks themselves live in ``tests/site_checks.py``;
``tests/test_site_checks.py`` shows that each of them can fail.

Screenshots of a chapter in the light and the dark theme land in ``_build/screenshots/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import site_checks as sc
from conftest import ROOT
from reporting import report
from test_book import toc_files

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

ENTRIES = toc_files()
NOTEBOOK_ENTRIES = [entry for entry in ENTRIES if (ROOT / f"{entry}.ipynb").is_file()]
SCREENSHOTS = ROOT / "_build" / "screenshots"
THEMES = ("light", "dark")


def source_of(entry: str) -> Path:
    notebook = ROOT / f"{entry}.ipynb"
    return notebook if notebook.is_file() else ROOT / f"{entry}.md"


def prose_of(entry: str) -> str:
    """The text a reader reads on the page: markdown cells of a notebook, or the .md file."""
    source = source_of(entry)
    if source.suffix != ".ipynb":
        return source.read_text() if source.is_file() else ""
    cells = json.loads(source.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def animations_in(notebook: Path) -> int:
    """How many animation players (matplotlib's ``to_jshtml``) the notebook's outputs hold."""
    count = 0
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            count += "".join(output.get("data", {}).get("text/html", "")).count(
                '<div class="animation">'
            )
    return count


@pytest.fixture(scope="session")
def visits(context, site):
    """``visits(entry)``: the :class:`site_checks.PageVisit` of a TOC entry's page (cached)."""
    cache: dict[str, sc.PageVisit] = {}

    def get(entry: str) -> sc.PageVisit:
        if entry not in cache:
            cache[entry] = sc.visit(context, site.page(entry))
        return cache[entry]

    yield get
    pages: dict[str, list[str]] = {}
    for entry, page in cache.items():
        for url in dict.fromkeys(page.external_requests):
            pages.setdefault(url, []).append(Path(entry).name)
    for url, names in sorted(pages.items()):
        report("browser: requests that leave the book (blocked here)", f"{url}: {len(names)} pages")


def on_page(context, site, entry: str, check):
    """``check(page)`` on a fresh tab showing the entry's page (the tab closed after)."""
    page = context.new_page()
    try:
        page.goto(site.page(entry), wait_until="load")
        return check(page)
    finally:
        page.close()


def _fail_on(problems: list[str], entry: str, what: str) -> None:
    assert not problems, f"{entry}.html: {what}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("entry", ENTRIES)
def test_page_loads_without_javascript_errors_or_failed_requests(entry, visits):
    page = visits(entry)
    _fail_on(sc.js_problems(page) + sc.request_problems(page), entry, "errors while loading")


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_image_loads(entry, visits):
    _fail_on(sc.image_problems(visits(entry)), entry, "broken images")


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_image_has_a_text_alternative(entry, visits):
    _fail_on(sc.alt_problems(visits(entry)), entry, "images without alt text")


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_internal_link_and_anchor_resolves(entry, visits, site):
    _fail_on(sc.link_problems(visits(entry), site.url, site.folder), entry, "dead links")


@pytest.mark.parametrize("entry", ENTRIES)
def test_math_is_typeset(entry, visits):
    page = visits(entry)
    _fail_on(sc.math_problems(page), entry, "math not rendered")
    if "$$" in prose_of(entry):
        assert page.math["containers"] > 0, f"{entry}: display math in the source, none typeset"


@pytest.mark.parametrize("entry", ENTRIES)
def test_page_loads_nothing_from_other_sites(entry, visits):
    _fail_on(sc.external_problems(visits(entry)), entry, "requests that leave the book")


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_animations_are_present_and_their_controls_work(entry, visits):
    expected = animations_in(ROOT / f"{entry}.ipynb")
    _fail_on(sc.animation_problems(visits(entry), expected), entry, "animations")


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_notebook_page_opens_in_colab_and_downloads(entry, visits, site):
    notebook = ROOT / f"{entry}.ipynb"
    page = visits(entry)
    problems = sc.colab_problems(page, nbs.colab_url(notebook))
    problems += sc.download_problems(page, site.url, site.folder, notebook)
    _fail_on(problems, entry, "Colab and download links")


@pytest.mark.parametrize("entry", ENTRIES)
def test_search_finds_the_page_for_a_word_it_contains(entry, context, site):
    term = sc.distinctive_word({e: prose_of(e) for e in ENTRIES}, entry)
    assert term, f"{entry} has no word to search for"
    found = sc.search(context, site.url, term)
    report("browser: search", f"{entry}: '{term}' -> {len(found)} page(s)")
    assert site.page(entry) in found, f"searching '{term}' lists {found}, not {entry}.html"


def test_search_lists_nothing_for_a_word_the_book_lacks(context, site):
    # The search check above can fail: a word on no page finds no page.
    assert sc.search(context, site.url, "qwzxvbnmpl") == []


@pytest.mark.parametrize("theme", THEMES)
def test_screenshot_of_a_chapter_in_each_theme(theme, browser, site):
    entry = (NOTEBOOK_ENTRIES or ENTRIES)[0]
    context = sc.new_context(browser, site.url, theme=theme)
    try:
        page = context.new_page()
        page.goto(site.page(entry), wait_until="load")
        sc.wait_for_mathjax(page)
        shown = page.evaluate("() => document.documentElement.dataset.theme")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{Path(entry).name}-{theme}.png"
        page.screenshot(path=str(path), full_page=True)
    finally:
        context.close()
    report("browser: screenshots", str(path.relative_to(ROOT)))
    assert shown == theme, f"asked for the {theme} theme, the page shows {shown!r}"


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_figures_stay_light_on_the_dark_theme(entry, browser, site):
    """Every output figure, as the dark page shows it, still has a light background."""
    context = sc.new_context(browser, site.url, theme="dark")
    problems = []
    try:
        page = context.new_page()
        page.goto(site.page(entry), wait_until="load")
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        sc.open_toggles(page)  # the solutions' figures too
        for number, png in sc.figure_screenshots(page):
            problems += [f"figure {number}: {problem}" for problem in sc.screenshot_problems(png)]
    finally:
        context.close()
    _fail_on(problems, entry, "figures on the dark theme")


@pytest.mark.parametrize("notebook", nbs.notebooks(), ids=lambda p: p.name)
def test_output_figures_are_opaque_with_a_light_background(notebook):
    """No transparent or dark figure (legible on both themes); animation frames included."""
    problems = [
        f"{where}: {p}" for where, png in sc.notebook_pngs(notebook) for p in sc.png_problems(png)
    ]
    assert not problems, f"{notebook.name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_solutions_stay_hidden_until_their_toggle_is_clicked(entry, context, site):
    expected = [bool(cell.outputs) for cell in nbs.solutions(nbs.read(ROOT / f"{entry}.ipynb"))]
    problems = on_page(context, site, entry, lambda page: sc.solution_problems(page, expected))
    _fail_on(problems, entry, "exercise solutions")


@pytest.mark.parametrize("entry", ENTRIES)
def test_no_code_block_scrolls_sideways(entry, context, site):
    page = context.new_page()
    try:
        page.goto(site.page(entry), wait_until="load")
        sc.open_toggles(page)
        problems = sc.code_overflow_problems(page)
    finally:
        page.close()
    _fail_on(problems, entry, f"code wider than its block at {sc.VIEWPORT['width']} px")


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_self_checks_answer_a_wrong_and_a_right_answer(entry, context, site):
    expected = len(nbs.self_check_cells(nbs.read(ROOT / f"{entry}.ipynb")))
    problems = on_page(context, site, entry, lambda page: sc.self_check_problems(page, expected))
    report("browser: self-check questions answered", f"{Path(entry).name}: {expected}")
    _fail_on(problems, entry, "self-check questions")


@pytest.mark.parametrize("entry", NOTEBOOK_ENTRIES)
def test_your_turn_solutions_hide_their_code_and_show_their_check(entry, context, site):
    expected = len(nbs.your_turn_pairs(nbs.read(ROOT / f"{entry}.ipynb")))
    problems = on_page(context, site, entry, lambda page: sc.your_turn_problems(page, expected))
    _fail_on(problems, entry, "'your turn' solutions")


@pytest.mark.parametrize("entry", ENTRIES)
def test_no_page_scrolls_sideways_on_a_phone(entry, browser, site):
    context = browser.new_context(viewport=dict(sc.PHONE), is_mobile=True, has_touch=True)
    try:
        problems = on_page(context, site, entry, sc.page_overflow_problems)
    finally:
        context.close()
    _fail_on(problems, entry, f"sideways scrolling on a phone ({sc.PHONE['width']} px wide)")


@pytest.fixture(scope="session")
def axe():
    return sc.axe_source()


# Every WCAG 2.1 A/AA rule in the light theme; in the dark one, the rule that colours decide.
THEME_RULES = {"light": None, "dark": ["color-contrast"]}


@pytest.mark.parametrize("theme", list(THEME_RULES))
@pytest.mark.parametrize("entry", ENTRIES)
def test_no_serious_accessibility_violations(entry, theme, browser, site, axe):
    context = sc.new_context(browser, site.url, theme=theme)
    try:
        problems = on_page(
            context,
            site,
            entry,
            lambda page: sc.accessibility_problems(page, axe, THEME_RULES[theme]),
        )
    finally:
        context.close()
    report("browser: axe-core, WCAG 2.1 A/AA", f"{Path(entry).name} ({theme}): {len(problems)}")
    _fail_on(problems, entry, f"accessibility violations, {theme} theme (axe-core)")


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_player_and_toggle_works_from_the_keyboard(entry, context, site):
    problems = on_page(context, site, entry, sc.keyboard_problems)
    _fail_on(problems, entry, "controls a keyboard cannot use")
