"""utils.drawing: a drawn digit in MNIST's form, against TensorFlow's area resize and MNIST itself;
and tools/export_web_model.py, which writes the network and digits the page "Draw a digit" loads.
"""

from __future__ import annotations

import base64
import json
import math
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT

import utils
from utils import drawing

sys.path.insert(0, str(ROOT / "tools"))
import export_web_model  # noqa: E402


def test_a_stroke_is_ink_within_half_the_pen_width_of_its_line():
    ink = drawing.strokes_to_ink([[(40, 100), (240, 100)]], width=18)
    row_distance = np.abs(np.arange(280) + 0.5 - 100)
    column = ink[:, 140]
    assert np.all(column[row_distance <= 8.5] == 1) and np.all(column[row_distance >= 9.5] == 0)
    # its area: a 200 x 18 rectangle and two half discs of radius 9 at the ends
    assert ink.sum() == pytest.approx(200 * 18 + math.pi * 9**2, rel=0.01)
    assert ink[100, 20] == 0 and ink[100, 35] == 1  # the round cap reaches 9 pixels past x=40


def test_a_dot_and_a_polyline_draw_as_the_union_of_their_parts():
    dot = drawing.strokes_to_ink([[(100, 100)]], width=10)
    assert dot.sum() == pytest.approx(math.pi * 5**2, rel=0.03)
    corner = [(50, 50), (150, 50), (150, 150)]
    both = drawing.strokes_to_ink([corner])
    parts = np.maximum(drawing.strokes_to_ink([corner[:2]]), drawing.strokes_to_ink([corner[1:]]))
    np.testing.assert_array_equal(both, parts)


def scaled_size(height: int, width: int) -> tuple[int, int]:
    scale = 20 / max(height, width)
    return max(1, math.floor(height * scale + 0.5)), max(1, math.floor(width * scale + 0.5))


@pytest.mark.parametrize("shape", [(137, 61), (200, 200), (45, 180), (7, 3), (1, 280)])
def test_the_ink_is_scaled_to_20_pixels_as_tensorflows_area_resize_does(shape):
    rng = np.random.default_rng(sum(shape))
    ink = np.zeros((300, 300))
    ink[10 : 10 + shape[0], 20 : 20 + shape[1]] = rng.uniform(0.01, 1, shape)
    image = drawing.mnist_like(ink)
    top, bottom, left, right = ink_box(image)
    placed = image[top : bottom + 1, left : right + 1]
    height, width = scaled_size(*shape)
    assert placed.shape == (height, width) and max(height, width) == 20
    crop = ink[10 : 10 + shape[0], 20 : 20 + shape[1]]
    expected = tf.image.resize(crop[None, :, :, None], (height, width), method="area")
    np.testing.assert_allclose(placed, expected.numpy()[0, :, :, 0], atol=2e-6)


def test_the_centre_of_mass_lands_at_the_centre_of_the_field():
    strokes = [[(30, 30), (90, 60), (60, 120)], [(70, 40), (75, 130)]]  # off-centre, top-left
    image = drawing.mnist_like(drawing.strokes_to_ink(strokes))
    centres = np.arange(28) + 0.5
    cy = image.sum(axis=1) @ centres / image.sum()
    cx = image.sum(axis=0) @ centres / image.sum()
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert image.max() <= 1 and image.min() == 0


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[0], rows[-1], cols[0], cols[-1]


def test_a_drawing_anywhere_and_of_any_size_reaches_the_network_alike():
    """As the page says: the same size and in the middle, only with its strokes thicker."""
    large = [[(140, 40), (140, 240)], [(90, 110), (190, 110)]]  # a cross, in the middle
    small_in_a_corner = [[(30, 20), (30, 60)], [(20, 34), (40, 34)]]  # the same, a fifth
    images = [drawing.mnist_like(drawing.strokes_to_ink(s)) for s in (large, small_in_a_corner)]
    boxes = [ink_box(image) for image in images]
    assert boxes[0][1] - boxes[0][0] == boxes[1][1] - boxes[1][0] == 19  # 20 pixels high
    assert np.abs(np.subtract(*boxes)).max() <= 2  # in the same place, give or take the strokes
    assert images[1].sum() > 1.5 * images[0].sum()  # the same pen, on a digit a fifth the size


def test_a_drawing_moved_in_the_box_gives_the_same_image():
    seven = np.array([(70.3, 60.1), (200.7, 60.2), (120.4, 230.9)])
    images = [
        drawing.mnist_like(drawing.strokes_to_ink([seven + shift]))
        for shift in [(0, 0), (-55, -40), (62, 31)]
    ]
    for image in images[1:]:
        np.testing.assert_allclose(image, images[0], atol=1e-12)


def test_an_empty_drawing_is_an_empty_field():
    np.testing.assert_array_equal(drawing.mnist_like(np.zeros((280, 280))), np.zeros((28, 28)))


def test_mnists_own_digits_come_back_in_a_form_the_network_reads():
    """MNIST test digits, drawn again ten times larger and made into MNIST's form once more,
    are read by the shipped network as often as the originals, give or take 2 in 100."""
    (_, _), (x_test, y_test) = utils.load_mnist()
    count = 500
    again = np.stack(
        [drawing.mnist_like(np.kron(x_test[i] / 255, np.ones((10, 10)))) for i in range(count)]
    )
    model = utils.load_seed_cnn()
    read_again = model.predict(again[..., None].astype("float32"), verbose=0).argmax(axis=1)
    read = model.predict(utils.prepare_images(x_test[:count]), verbose=0).argmax(axis=1)
    assert np.mean(read_again == y_test[:count]) >= np.mean(read == y_test[:count]) - 0.02


@pytest.mark.parametrize(
    ("ink", "words"),
    [
        (np.zeros((28, 28, 1)), "2-D array"),
        (np.full((28, 28), 2.0), "from 0 \\(paper\\) to 1"),
        (np.full((28, 28), np.nan), "from 0 \\(paper\\) to 1"),
    ],
)
def test_bad_ink_is_refused_with_a_clear_message(ink, words):
    with pytest.raises(ValueError, match=words):
        drawing.mnist_like(ink)


def test_bad_strokes_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="stroke 1 has no points"):
        drawing.strokes_to_ink([[(1, 1)], []])
    with pytest.raises(ValueError, match="width must be positive"):
        drawing.strokes_to_ink([[(1, 1)]], width=0)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        drawing.strokes_to_ink([[(1, 1)]], size=2.5)


# tools/export_web_model.py


def parse(script: str, name: str) -> dict:
    prefix = f"window.{name} = "
    line = next(line for line in script.splitlines() if line.startswith(prefix))
    return json.loads(line.removeprefix(prefix).removesuffix(";"))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_the_exported_network_holds_the_committed_weights(dtype):
    network = parse(export_web_model.network_script(dtype), "cnnLiveNetwork")
    data = np.frombuffer(base64.b64decode(network["data"]), dtype=np.dtype(dtype).newbyteorder("<"))
    model = utils.load_seed_cnn(compile=False)
    assert network["dtype"] == dtype and len(network["colormap"]) == 256
    for array in network["arrays"]:
        layer, part = array["name"].split(".")
        expected = np.asarray(getattr(model.get_layer(layer), part))
        size = int(np.prod(array["shape"]))
        values = data[array["offset"] : array["offset"] + size].reshape(array["shape"])
        np.testing.assert_array_equal(values, expected.astype(dtype))
    assert sum(int(np.prod(a["shape"])) for a in network["arrays"]) == model.count_params()


def test_an_unknown_dtype_or_another_network_is_refused(tmp_path):
    with pytest.raises(ValueError, match="dtype must be one of"):
        export_web_model.network_script("int8")
    stored = dict(np.load(export_web_model.NETWORK))
    stored["config"] = np.array(json.dumps({"padding": "same"}))
    other = tmp_path / "other.weights.npz"
    np.savez(other, **stored)
    with pytest.raises(ValueError, match="the page computes padding=valid"):
        export_web_model.weights(other)


def test_the_committed_digits_are_the_first_two_of_each_in_mnists_test_set():
    digits = parse(export_web_model.DIGITS.read_text(), "cnnLiveDigits")["digits"]
    (_, _), (x_test, y_test) = utils.load_mnist()
    assert [d["index"] for d in digits] == export_web_model.digit_indices(y_test)
    assert [d["label"] for d in digits] == [digit for digit in range(10) for _ in range(2)]
    for digit in digits:
        pixels = np.frombuffer(base64.b64decode(digit["pixels"]), np.uint8).reshape(28, 28)
        np.testing.assert_array_equal(pixels, x_test[digit["index"]])
