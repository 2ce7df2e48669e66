"""The page "Draw a digit" (``book/live_network.md``) as a reader uses it, in headless Chromium.

The network in the page is held to Keras' on MNIST test images, with the page's float16 weights
and with a float32 copy written by ``tools/export_web_model.py`` for the test; strokes drawn
with mouse events are held to ``utils.drawing``'s image of the same strokes; and the page's own
timing of its updates and its weight are printed and held to their budgets. The checks that
every page passes (no errors, accessibility, keyboard, a phone's width) run on this page too,
in ``tests/test_browser.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from reporting import report

import utils
from utils import drawing

sys.path.insert(0, str(ROOT / "tools"))
import export_web_model  # noqa: E402

ENTRY = "book/live_network"
IMAGES = 500
SPEED_BUDGET_MS = 100
OWN_WEIGHT_BUDGET_MB = 4.0  # what the page loads beyond every page's theme: network, TensorFlow.js
OWN = ("/_static/live/", "/_static/tfjs/")
NETWORK_SCRIPT = "**/_static/live/seed_cnn_mnist.js"


def started(page) -> str:
    """Wait for the page's network to start or fail; its state, ``ready`` or ``failed``."""
    page.wait_for_function(
        "document.getElementById('cnn-live').dataset.state !== 'loading'", timeout=60_000
    )
    return page.evaluate("document.getElementById('cnn-live').dataset.state")


def open_live_page(context, site, network: Path | None = None):
    """A new tab on the page, its network ready; ``network`` replaces the page's weights."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if network is not None:
        page.route(NETWORK_SCRIPT, lambda route: route.fulfill(path=str(network)))
    page.goto(site.page(ENTRY), wait_until="load")
    state = started(page)
    assert state == "ready" and not errors, f"the page's network did not start: {state}, {errors}"
    return page


@pytest.fixture(scope="module")
def mnist_test():
    (_, _), (x_test, y_test) = utils.load_mnist()
    return x_test[:IMAGES], y_test[:IMAGES]


@pytest.fixture(scope="module")
def keras_probabilities(mnist_test):
    x, _ = mnist_test
    return utils.load_seed_cnn().predict(utils.prepare_images(x), batch_size=500, verbose=0)


def page_probabilities(page, images: np.ndarray) -> np.ndarray:
    pixels = images.reshape(-1).tolist()
    rows = page.evaluate("([pixels, n]) => cnnLive.predict(pixels, n)", [pixels, len(images)])
    return np.array(rows)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_the_page_computes_what_keras_computes(
    dtype, context, site, tmp_path, mnist_test, keras_probabilities
):
    network = None
    if dtype == "float32":  # the page ships float16; the test gives it a float32 copy
        network = export_web_model.write_network(tmp_path / "network.js", "float32")
    page = open_live_page(context, site, network)
    try:
        assert page.evaluate("document.getElementById('cnn-live').dataset.dtype") == dtype
        x, y = mnist_test
        ours = page_probabilities(page, x)
    finally:
        page.close()
    difference = np.abs(ours - keras_probabilities).max()
    same_class = np.mean(ours.argmax(axis=1) == keras_probabilities.argmax(axis=1))
    accuracy = np.mean(ours.argmax(axis=1) == y)
    report(
        "live page: the network in the browser against Keras",
        f"{dtype}: {IMAGES} MNIST test images, largest difference {difference:.2e}, "
        f"same class for {same_class:.1%}, accuracy {accuracy:.1%}",
    )
    assert same_class == 1.0
    if dtype == "float32":
        assert difference < 1e-4


def draw(page, strokes_in_css_pixels) -> None:
    """Draw with the mouse on the drawing area, each stroke a list of (x, y) in its CSS box."""
    box = page.locator("#cnn-live-canvas").bounding_box()
    for stroke in strokes_in_css_pixels:
        (x0, y0), rest = stroke[0], stroke[1:]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
        page.mouse.up()


def canvas_scale(page) -> float:
    return 280 / page.locator("#cnn-live-canvas").bounding_box()["width"]


def ink_point(page, x: float, y: float) -> tuple[float, float]:
    """Where a point of the canvas' CSS box (border included) lies on its 280x280 ink."""
    border, inside = page.evaluate(
        "(() => { const c = document.getElementById('cnn-live-canvas');"
        " return [[c.clientLeft, c.clientTop], [c.clientWidth, c.clientHeight]]; })()"
    )
    return ((x - border[0]) * 280 / inside[0], (y - border[1]) * 280 / inside[1])


SEVEN = [[(70, 60), (200, 60), (120, 230)], [(95, 145), (175, 145)]]
BAR = [[(140, 50), (140, 230)]]


def test_strokes_become_the_image_the_course_package_makes_of_them(context, site):
    page = open_live_page(context, site)
    try:
        draw(page, SEVEN)
        strokes = page.evaluate("cnnLive.strokes()")
        shown = np.array(page.evaluate("cnnLive.input()")).reshape(28, 28)
        corners = [[ink_point(page, x, y) for x, y in stroke] for stroke in SEVEN]
    finally:
        page.close()
    assert len(strokes) == 2
    for drawn, recorded in zip(corners, strokes, strict=True):  # the pen's ends, under the mouse
        ends = np.array([recorded[0]] + [recorded[-1]])
        np.testing.assert_allclose(ends, np.array(drawn)[[0, -1]], atol=0.01)
    expected = drawing.mnist_like(drawing.strokes_to_ink(strokes))
    difference = np.abs(shown - expected).max()
    report("live page: drawn strokes against utils.drawing", f"largest difference {difference:.1e}")
    assert difference < 1e-9
    assert shown.max() == pytest.approx(1) and 80 < np.count_nonzero(shown) < 400


def test_a_drawn_vertical_bar_is_read_as_a_1(context, site):
    page = open_live_page(context, site)
    try:
        draw(page, BAR)
        probabilities = np.array(page.evaluate("cnnLive.probabilities()"))
        verdict = page.locator("#cnn-live-verdict").inner_text()
    finally:
        page.close()
    assert probabilities.argmax() == 1 and verdict.startswith("The network reads a 1,"), verdict
    assert probabilities.sum() == pytest.approx(1, abs=1e-5)


def test_clear_and_a_test_digit_with_one_click(context, site, mnist_test, keras_probabilities):
    page = open_live_page(context, site)
    try:
        draw(page, BAR)
        page.locator("#cnn-live-clear").click()
        cleared = np.array(page.evaluate("cnnLive.input()"))
        cleared_verdict = page.locator("#cnn-live-verdict").inner_text()
        cleared_bars = page.locator(".cnn-live-bar-value").all_inner_texts()
        cleared_probabilities = page.evaluate("cnnLive.probabilities()")
        buttons = page.locator("#cnn-live-digits button")
        assert buttons.count() == 20
        buttons.nth(14).click()  # the first 7 of the test set: image 0
        label = buttons.nth(14).get_attribute("aria-label")
        loaded = np.array(page.evaluate("cnnLive.input()")).reshape(28, 28)
        probabilities = np.array(page.evaluate("cnnLive.probabilities()"))
    finally:
        page.close()
    assert not cleared.any() and cleared_verdict.startswith("Draw a digit")
    assert cleared_bars == ["0.0 %"] * 10 and cleared_probabilities is None
    x, _ = mnist_test
    assert label == "Load test image 0, a 7"
    np.testing.assert_allclose(loaded, x[0] / 255, atol=1e-12)
    np.testing.assert_allclose(probabilities, keras_probabilities[0], atol=1e-2)  # float16


def test_the_page_answers_within_its_time_budget_and_weighs_within_its_own(context, site):
    sizes: dict[str, int] = {}
    page = context.new_page()
    page.on("response", lambda response: sizes.__setitem__(response.url, len(response.body())))
    page.goto(site.page(ENTRY), wait_until="load")
    try:
        assert started(page) == "ready"
        rng = np.random.default_rng(0)
        for _ in range(11):
            points = rng.uniform(40, 240, size=(4, 2)) / canvas_scale(page)
            draw(page, [points.tolist()])
        timings = page.evaluate("cnnLive.timings")
    finally:
        page.close()
    median = float(np.median(timings))
    weight = sum(sizes.values()) / 1e6
    own = sum(size for url, size in sizes.items() if any(part in url for part in OWN)) / 1e6
    report(
        "live page: speed and weight",
        f"median {median:.0f} ms from the end of a stroke to updated maps and probabilities "
        f"({len(timings)} strokes); the page's network, digits and TensorFlow.js: {own:.2f} MB, "
        f"with the theme that every page loads: {weight:.2f} MB",
    )
    assert len(timings) == 11 and median < SPEED_BUDGET_MS
    assert 2 < own < OWN_WEIGHT_BUDGET_MB


def test_the_page_works_opened_from_the_disk(browser, built_book):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((built_book / f"{ENTRY}.html").as_uri(), wait_until="load")
        assert started(page) == "ready"
    finally:
        context.close()


def test_the_page_names_the_tensorflow_js_it_serves():
    version = (ROOT / "vendor" / "_static" / "tfjs" / "VERSION").read_text().strip()
    major_minor = ".".join(version.split(".")[:2])
    assert f"TensorFlow.js {major_minor}" in (ROOT / f"{ENTRY}.md").read_text()


def test_the_test_digits_and_clear_work_from_the_keyboard(context, site, mnist_test):
    page = open_live_page(context, site)
    try:
        for _ in range(120):  # Tab through the page, as a keyboard user does, to the Clear button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "cnn-live-clear":
                break
        else:
            pytest.fail("Tab never reaches the Clear button")
        page.keyboard.press("Tab")  # the first test digit's button, a 0
        page.keyboard.press("Enter")
        loaded = np.array(page.evaluate("cnnLive.input()")).reshape(28, 28)
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        cleared = np.array(page.evaluate("cnnLive.input()"))
    finally:
        page.close()
    x, y = mnist_test
    first_zero = int(np.flatnonzero(y == 0)[0])
    np.testing.assert_allclose(loaded, x[first_zero] / 255, atol=1e-12)
    assert not cleared.any()


POINTERS = """([down, moves, up]) => {
  const canvas = document.getElementById('cnn-live-canvas');
  const box = canvas.getBoundingClientRect();
  const fire = (type, [id, x, y, button, primary]) => canvas.dispatchEvent(new PointerEvent(type, {
    pointerId: id, clientX: box.left + x, clientY: box.top + y, button: button,
    buttons: button === 0 ? 1 : 2, isPrimary: primary, pointerType: 'touch', bubbles: true }));
  down.forEach((event) => fire('pointerdown', event));
  moves.forEach((event) => fire('pointermove', event));
  up.forEach((event) => fire('pointerup', event));
  return cnnLive.strokes();
}"""


def test_only_one_pointer_draws_and_only_with_its_main_button(context, site):
    page = open_live_page(context, site)
    try:
        # two fingers: the first down draws a line at x = 60, the second (at x = 220) is ignored
        first, second = (1, 60, 50, 0, True), (2, 220, 50, 0, False)
        moves = [(1, 60, 50 + 10 * k, 0, True) for k in range(1, 10)]
        moves = [
            event
            for k, mine in enumerate(moves)
            for event in (mine, (2, 220, 60 + 10 * k, 0, False))
        ]
        strokes = page.evaluate(POINTERS, [[first, second], moves, [second, first]])
        # a right-button drag draws nothing
        right = page.evaluate(POINTERS, [[(3, 140, 50, 2, True)], [(3, 140, 200, 2, True)], []])
    finally:
        page.close()
    assert len(strokes) == 1 and len(strokes[0]) == 10
    assert all(abs(x - strokes[0][0][0]) < 1e-9 for x, _ in strokes[0])  # one straight line
    assert right == strokes
