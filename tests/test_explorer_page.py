"""Chapter 4's geometry explorer in the page (``utils.geometry_explorer``), in headless Chromium.

Every setting of a grid is chosen with the explorer's own controls, as a reader would, and what
the page then says (output size, padding, unread rows and columns) is held to the course package
(``utils.output_size``, ``utils.same_padding``, ``utils.unused_pixels``) and to Keras
(``keras_geometry`` of ``tests/test_explorer.py``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reporting import report
from test_explorer import keras_geometry

import utils

ENTRY = "book/04_stride"
PADDINGS = ["valid", "same", 0, 1, 2, 3]
GRID = list(itertools.product(range(1, 11), range(1, 8), PADDINGS, range(1, 6)))

# Sets the controls of the first explorer on the page, fires their events, and reads it back.
SWEEP = """(settings) => {
  const box = document.querySelector('.cnn-geometry');
  const set = (name, value) => {
    const control = box.querySelector(`[data-control="${name}"]`);
    control.value = String(value);
    control.dispatchEvent(new Event('input', { bubbles: true }));
  };
  return settings.map(([n, f, padding, s]) => {
    set('n', n); set('f', f); set('padding', padding); set('s', s);
    return {
      size: Number(box.dataset.outputSize),
      padding: box.dataset.padding,
      unread: box.dataset.unread,
      formula: box.querySelector('.cnn-geometry-formula').textContent,
    };
  });
}"""


def course_geometry(n, f, padding, s):
    """What the course package says of a setting, or None where no window fits."""
    if padding == "same":
        before, after = utils.same_padding(n, f, s)
    else:
        before = after = 0 if padding == "valid" else padding
        if n + 2 * before < f:
            return None
    if padding == "same":
        size = -(-n // s)
        unread = []  # checked against Keras below; utils.unused_pixels takes equal sides only
    else:
        size = utils.output_size(n, f, before, s)
        unread = np.flatnonzero(utils.unused_pixels(n, f, before, s)).tolist()
    return size, (before, after), unread


@pytest.fixture(scope="module")
def swept(context, site):
    page = context.new_page()
    try:
        page.goto(site.page(ENTRY), wait_until="load")
        assert page.locator(".cnn-geometry").count() == 1
        return page.evaluate(SWEEP, [list(setting) for setting in GRID])
    finally:
        page.close()


def test_the_explorer_in_the_page_computes_what_the_course_and_keras_compute(swept):
    problems = []
    for setting, shown in zip(GRID, swept, strict=True):
        n, f, padding, s = setting
        course = course_geometry(*setting)
        if course is None:  # the kernel is larger than the padded input
            # (Keras is not asked here: with oneDNN, TensorFlow's CPU convolution gives such a
            # kernel one position when the stride is above 1, reading past the input; without
            # oneDNN, TF_ENABLE_ONEDNN_OPTS=0, it refuses, as the formula does.)
            if shown["size"] != 0 or "No window fits" not in shown["formula"]:
                problems.append(f"{setting}: no window fits, but the page says {shown}")
            continue
        keras = keras_geometry(*setting)
        if keras is None:
            problems.append(f"{setting}: Keras finds no window, the course finds {course}")
            continue
        size, (before, after), unread = course
        keras_size, keras_unread = keras
        unread_shown = [int(i) for i in shown["unread"].split(",") if i]
        if padding != "same" and unread != keras_unread:
            problems.append(f"{setting}: utils.unused_pixels {unread}, Keras {keras_unread}")
        expected = (keras_size, f"{before},{after}", keras_unread)
        if (shown["size"], shown["padding"], unread_shown) != expected or size != keras_size:
            problems.append(f"{setting}: the page shows {shown}, expected {expected}")
        elif not shown["formula"].endswith(f"= {size}, so {size}×{size}."):
            problems.append(f"{setting}: {shown['formula']!r}")
    report(
        "explorer page: chapter 4's geometry explorer in the browser",
        f"{len(GRID)} settings (n 1-10, f 1-7, padding valid, same, 0-3, stride 1-5) "
        f"against utils and Keras: {len(problems)} differences",
    )
    assert not problems, "\n".join(problems[:20])


def test_the_explorer_steps_through_its_windows_from_the_keyboard(context, site):
    page = context.new_page()
    try:
        page.goto(site.page(ENTRY), wait_until="load")
        box = page.locator(".cnn-geometry")
        box.locator("[data-control=n]").focus()
        page.keyboard.press("ArrowRight")  # n = 8
        after_n = box.get_attribute("data-output-size")
        page.keyboard.press("Tab")  # to the kernel size
        focused = page.evaluate("document.activeElement.dataset.control")
        box.locator("button[data-step='1']").focus()
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        window = box.locator(".cnn-geometry-window-text").inner_text()
        outlined = box.locator("rect.cnn-geometry-window-one").count()
    finally:
        page.close()
    assert after_n == "3" and focused == "f"  # n = 8, f = 3, p = 0, s = 2: 3 positions
    assert window.startswith("Window 2 of 9: padded rows 0 to 2, columns 2 to 4") and outlined == 1


def test_the_window_control_follows_the_settings(context, site):
    page = context.new_page()
    try:
        page.goto(site.page(ENTRY), wait_until="load")
        box = page.locator(".cnn-geometry")
        box.locator("button[data-step='-1']").click()  # from all windows back to the last, 9 of 9
        last = box.locator(".cnn-geometry-window-text").inner_text()
        stride = box.locator("[data-control=s]")
        stride.fill("3")  # n = 7, f = 3, p = 0, s = 3: 2 x 2 positions, window 9 is gone
        after = box.locator(".cnn-geometry-window-text").inner_text()
        window = box.locator("[data-control=window]")
        shown = box.locator("output[data-shows=window]").inner_text()
        state = (window.input_value(), window.get_attribute("aria-valuetext"))
    finally:
        page.close()
    assert last.startswith("Window 9 of 9: padded rows 4 to 6, columns 4 to 6")
    assert after == "All 4 windows together." and state == ("0", "all windows") and shown == "0"
