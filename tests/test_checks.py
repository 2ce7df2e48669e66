"""utils.checks: each "your turn" checker passes the reference solution, says "Not done yet" for
the stub, and rejects the typical wrong answers with the words that name each mistake.

The wrong answers are written here as a learner would write them; the checkers' own answers come
from TensorFlow, so these tests hold the checkers to both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utils
from utils import checks


def stub(*args, **kwargs):
    raise NotImplementedError("your code here")


def assert_right(verdict):
    assert verdict.passed and verdict.status == checks.RIGHT, verdict.message
    assert verdict.message.startswith("Right: ")


def assert_wrong(verdict, *words):
    assert not verdict.passed and verdict.status == checks.WRONG, verdict.message
    assert verdict.message.startswith("Not right yet: ")
    for word in words:
        assert word in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# The verdicts themselves


def test_a_stub_is_not_done_yet_and_says_what_to_do():
    verdict = checks.ch4_output_size(stub)
    assert verdict.status == checks.NOT_DONE and not verdict
    assert verdict.message.startswith("Not done yet: stub still raises NotImplementedError")
    assert "Replace the `raise` line" in verdict.message


def test_a_verdict_prints_its_message_in_lines_that_fit_a_code_block():
    message = "Not right yet: " + "word " * 60 + "\n  an indented line " + "more " * 30
    shown = str(checks.Verdict("ch0", checks.WRONG, message.strip()))
    lines = shown.splitlines()
    assert len(lines) > 4 and max(map(len, lines)) <= checks.WIDTH
    assert shown.split() == message.split()  # the same words, in the same order
    assert lines[0].startswith("Not right yet") and lines[-1].startswith("  ")  # indent kept
    assert repr(checks.Verdict("ch0", checks.RIGHT, "Right: short")) == "Right: short"


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def output_size(n, f, p=0, s=1):
        return n[0]

    assert_wrong(checks.ch4_output_size(output_size), "raised TypeError", "output_size(12, 5")


def test_something_else_than_a_function_is_named():
    assert_wrong(checks.ch4_output_size(24), "give the checker your function itself, not 24")


def test_compare_names_the_mistake_that_explains_every_answer():
    cases = [checks.Case((n,)) for n in range(1, 6)]
    mistakes = [("doubled", lambda n: 2 * n), ("plus one", lambda n: n + 1)]
    # n + 1 and 2n agree at n = 1 only: the mistake that gives every answer is named
    with pytest.raises(checks._Failed, match=r"f\(1\) returned 2, the reference gives 1: plus"):
        checks.compare(lambda n: n + 1, cases, lambda n: n, mistakes, name="f")
    assert checks.compare(lambda n: n, cases, lambda n: n, mistakes, name="f") == 5


# ----------------------------------------------------------------------------------------------
# Chapter 1: convolution


def layer_right(image, bank, bias):
    kh, kw, _, filters = bank.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    feature_maps = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            window = image[i : i + kh, j : j + kw, :]
            for k in range(filters):
                feature_maps[i, j, k] = np.sum(window * bank[:, :, :, k]) + bias[k]
    return feature_maps


def layer_by_channel(image, bank, bias):
    """The chapter's way: one 2-D cross-correlation per channel and filter, summed."""
    kh, kw, channels, filters = bank.shape
    feature_maps = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1, filters))
    for k in range(filters):
        for c in range(channels):
            feature_maps[:, :, k] += utils.conv2d(image[:, :, c], bank[:, :, c, k])
        feature_maps[:, :, k] += bias[k]
    return feature_maps


def layer_channel_loop(image, bank, bias, *, replace=False, bias_per_channel=False, short=False):
    """A learner's loops over positions, filters and channels, with a mistake switched on."""
    kh, kw, channels, filters = bank.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    feature_maps = np.zeros((out_h, out_w, filters))
    for i in range(out_h - 1 if short else out_h):  # short: range(n - f), the last left out
        for j in range(out_w - 1 if short else out_w):
            for k in range(filters):
                for c in range(channels):
                    products = image[i : i + kh, j : j + kw, c] * bank[:, :, c, k]
                    if replace:
                        feature_maps[i, j, k] = products.sum()  # `=` where `+=` is due
                    else:
                        feature_maps[i, j, k] += products.sum()
                    if bias_per_channel:
                        feature_maps[i, j, k] += bias[k]
                if not bias_per_channel:
                    feature_maps[i, j, k] += bias[k]
    return feature_maps


def layer_first_channel(image, bank, bias):
    kh, kw, _, filters = bank.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    feature_maps = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            for k in range(filters):
                window = image[i : i + kh, j : j + kw, 0]
                feature_maps[i, j, k] = np.sum(window * bank[:, :, 0, k]) + bias[k]
    return feature_maps


def test_ch1_conv_layer_passes_the_loops_and_utils():
    assert_right(checks.ch1_conv_layer(layer_right))
    assert_right(checks.ch1_conv_layer(layer_by_channel))
    assert_right(checks.ch1_conv_layer(utils.conv2d))
    as_list = checks.ch1_conv_layer(
        lambda image, bank, bias: layer_right(image, bank, bias).tolist()
    )
    assert_right(as_list)  # nested lists are an answer too


def test_ch1_conv_layer_stub_is_not_done_yet():
    verdict = checks.ch1_conv_layer(stub)
    assert verdict.status == checks.NOT_DONE, verdict.message
    assert verdict.message.startswith("Not done yet: stub still raises NotImplementedError")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda image, bank, bias: layer_right(image, bank, 0 * bias), "the bias is left out"),
        (
            lambda image, bank, bias: layer_channel_loop(image, bank, bias, bias_per_channel=True),
            "the bias is added once per channel",
        ),
        (
            lambda image, bank, bias: layer_channel_loop(image, bank, bias, replace=True),
            "only the last channel counts",
        ),
        (layer_first_channel, "only the first channel counts"),
        (
            lambda image, bank, bias: layer_right(image, bank[::-1, ::-1], bias),
            "the kernel is flipped (a true convolution)",
        ),
        (
            lambda image, bank, bias: layer_right(image, np.ones_like(bank), bias),
            "the kernel's weights are left out",
        ),
        (
            lambda image, bank, bias: layer_channel_loop(image, bank, bias, short=True),
            "the last row and column are never filled",
        ),
    ],
)
def test_ch1_conv_layer_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch1_conv_layer(wrong), words, "tf.nn.conv2d plus the bias gives")


def layer_one_short(image, bank, bias):
    kh, kw, _, filters = bank.shape
    out_h, out_w = image.shape[0] - kh, image.shape[1] - kw  # the `+ 1` forgotten
    feature_maps = np.zeros((out_h, out_w, filters))
    for i in range(out_h):
        for j in range(out_w):
            for k in range(filters):
                window = image[i : i + kh, j : j + kw, :]
                feature_maps[i, j, k] = np.sum(window * bank[:, :, :, k]) + bias[k]
    return feature_maps


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (layer_one_short, "one row and one column short"),
        (
            lambda image, bank, bias: np.moveaxis(layer_right(image, bank, bias), -1, 0),
            "the filters come first",
        ),
        (
            lambda image, bank, bias: np.stack(
                [
                    [utils.conv2d(image[:, :, c], bank[:, :, c, k]) for k in range(bank.shape[3])]
                    for c in range(bank.shape[2])
                ]
            ).transpose(2, 3, 0, 1),
            "one map per channel and filter",
        ),
        (
            lambda image, bank, bias: np.zeros((*image.shape[:2], bank.shape[3])),
            "was due, (H - kh + 1, W - kw + 1, K)",
        ),
        (lambda image, bank, bias: None, "not an array"),
    ],
)
def test_ch1_conv_layer_rejects_a_wrong_shape_with_its_words(wrong, words):
    assert_wrong(checks.ch1_conv_layer(wrong), words)


def test_ch1_conv_layer_reports_the_learners_error():
    def transposed(image, bank, bias):  # kernel[n, m]: fails on a kernel that is not square
        kh, kw, channels, filters = bank.shape
        out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1, filters))
        for i, j, k, c, m, n in np.ndindex(*out.shape, channels, kh, kw):
            out[i, j, k] += image[i + m, j + n, c] * bank[n, m, c, k]
        return out + bias

    verdict = checks.ch1_conv_layer(transposed)
    assert_wrong(verdict, "<array of shape (2, 3, 2, 4)>", "raised IndexError: index 2")


def conv_params_right(kernel_size, in_channels, filters):
    return kernel_size * kernel_size * in_channels * filters + filters


CONV_PARAMS_MISTAKES = {
    "the biases are forgotten": lambda k, c, f: k * k * c * f,
    "the input channels are forgotten": lambda k, c, f: k * k * f + f,
    "one bias per weight": lambda k, c, f: k * k * c * f * 2,
    "one bias per input channel": lambda k, c, f: k * k * c * f + c,
    "the kernel size is not squared": lambda k, c, f: k * c * f + f,
    "counts one filter only": lambda k, c, f: k * k * c + 1,
}


def test_ch1_conv_params_passes_the_formula():
    assert_right(checks.ch1_conv_params(conv_params_right))
    assert_right(checks.ch1_conv_params(lambda k, c, f: int(np.prod([k, k, c, f])) + f))
    assert_right(checks.ch1_conv_params(lambda k, c, f: np.int64(k**2 * c * f + f)))


def test_ch1_conv_params_stub_is_not_done_yet():
    assert checks.ch1_conv_params(stub).status == checks.NOT_DONE


@pytest.mark.parametrize("words", CONV_PARAMS_MISTAKES)
def test_ch1_conv_params_names_each_typical_mistake(words):
    verdict = checks.ch1_conv_params(CONV_PARAMS_MISTAKES[words])
    assert_wrong(verdict, words, "Keras count_params() gives 448")


def test_ch1_conv_params_wants_an_integer():
    verdict = checks.ch1_conv_params(lambda k, c, f: math.pow(k, 2) * c * f + f)
    assert_wrong(verdict, "returned 448.0: not an integer")
    assert_wrong(checks.ch1_conv_params(lambda k, c, f: str(k)), "not a number")
    assert_wrong(checks.ch1_conv_params(lambda k, c, f: True), "not a number")


# ----------------------------------------------------------------------------------------------
# Chapter 2: pooling


def kept_right(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height - pool_size + 1, stride):
        for left in range(0, width - pool_size + 1, stride):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            row, column = np.unravel_index(np.argmax(window), window.shape)
            kept[top + row, left + column] = True
    return kept


def kept_by_utils(feature_map, pool_size=2, stride=2):
    """Each window's cells equal to its value in utils.max_pool2d."""
    pooled = utils.max_pool2d(feature_map, pool_size, stride)
    kept = np.zeros(feature_map.shape, dtype=bool)
    for (i, j), value in np.ndenumerate(pooled):
        rows = slice(i * stride, i * stride + pool_size)
        columns = slice(j * stride, j * stride + pool_size)
        kept[rows, columns] |= feature_map[rows, columns] == value
    return kept


def kept_smallest(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height - pool_size + 1, stride):
        for left in range(0, width - pool_size + 1, stride):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            row, column = np.unravel_index(np.argmin(window), window.shape)
            kept[top + row, left + column] = True
    return kept


def kept_whole_windows(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height - pool_size + 1, stride):
        for left in range(0, width - pool_size + 1, stride):
            kept[top : top + pool_size, left : left + pool_size] = True
    return kept


def kept_stride_ignored(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(height - pool_size + 1):
        for left in range(width - pool_size + 1):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            row, column = np.unravel_index(np.argmax(window), window.shape)
            kept[top + row, left + column] = True
    return kept


def kept_partial_windows(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height, stride):
        for left in range(0, width, stride):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            row, column = np.unravel_index(np.argmax(window), window.shape)
            kept[top + row, left + column] = True
    return kept


def kept_size_as_stride(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height - pool_size + 1, pool_size):
        for left in range(0, width - pool_size + 1, pool_size):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            row, column = np.unravel_index(np.argmax(window), window.shape)
            kept[top + row, left + column] = True
    return kept


def kept_pooled_index_as_corner(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for i in range((height - pool_size) // stride + 1):
        for j in range((width - pool_size) // stride + 1):
            window = feature_map[i : i + pool_size, j : j + pool_size]
            row, column = np.unravel_index(np.argmax(window), window.shape)
            kept[i + row, j + column] = True
    return kept


def kept_row_and_column_swapped(feature_map, pool_size=2, stride=2):
    height, width = feature_map.shape
    kept = np.zeros((height, width), dtype=bool)
    for top in range(0, height - pool_size + 1, stride):
        for left in range(0, width - pool_size + 1, stride):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            column, row = divmod(int(np.argmax(window)), pool_size)
            kept[top + row, left + column] = True
    return kept


def test_ch2_kept_by_max_pooling_passes_the_loop_and_utils():
    assert_right(checks.ch2_kept_by_max_pooling(kept_right))
    assert_right(checks.ch2_kept_by_max_pooling(kept_by_utils))
    as_list = checks.ch2_kept_by_max_pooling(
        lambda x, pool_size=2, stride=2: kept_right(x, pool_size, stride).tolist()
    )
    assert_right(as_list)  # a list of booleans is an answer too, and so are 0 and 1
    assert_right(
        checks.ch2_kept_by_max_pooling(
            lambda x, pool_size=2, stride=2: kept_right(x, pool_size, stride).astype(int)
        )
    )
    verdict = checks.ch2_kept_by_max_pooling(kept_right)
    assert "on all 24 cases" in verdict.message and "tf.nn.max_pool2d" in verdict.message


def test_ch2_kept_by_max_pooling_says_not_done_for_the_stub():
    verdict = checks.ch2_kept_by_max_pooling(stub)
    assert verdict.status == checks.NOT_DONE, verdict.message
    assert verdict.message.startswith("Not done yet: stub still raises NotImplementedError")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (kept_smallest, "the smallest value of each window is marked"),
        (kept_whole_windows, "every activation a window covers is marked"),
        (kept_stride_ignored, "the windows move one pixel at a time"),
        (kept_partial_windows, "a partial window is kept at the edge"),
        (kept_size_as_stride, "the pool size is used as the stride"),
        (kept_pooled_index_as_corner, "a window's place in the pooled map is used as its corner"),
        (kept_row_and_column_swapped, "the row and column inside the window are swapped"),
        (lambda x, pool_size=2, stride=2: ~kept_right(x, pool_size, stride), "the other way round"),
        (
            lambda x, pool_size=2, stride=2: utils.max_pool2d(x, pool_size, stride) > 0,
            "like the pooled map",
        ),
        (lambda x, pool_size=2, stride=2: kept_right(x, pool_size, stride)[..., None], "was due"),
        (lambda x, pool_size=2, stride=2: np.full(x.shape, 0.5), "not booleans"),
        (lambda x, pool_size=2, stride=2: None, "not an array"),
    ],
)
def test_ch2_kept_by_max_pooling_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch2_kept_by_max_pooling(wrong), words)


def test_ch2_kept_by_max_pooling_shows_the_first_failing_case_in_full():
    verdict = checks.ch2_kept_by_max_pooling(kept_partial_windows)  # right on even sizes
    assert_wrong(
        verdict,
        "kept_by_max_pooling([[",
        "pool_size=2, stride=2) returned",
        "tf.nn.max_pool2d gives",
    )
    assert verdict.message.count("], [") >= 8  # the 5x5 map and both answers, row by row


def test_ch2_kept_by_max_pooling_maps_cannot_be_changed_by_the_learner():
    def zeroes_its_input(feature_map, pool_size=2, stride=2):
        feature_map[0, 0] = 0
        return kept_right(feature_map, pool_size, stride)

    assert_wrong(checks.ch2_kept_by_max_pooling(zeroes_its_input), "raised ValueError")
    assert_right(checks.ch2_kept_by_max_pooling(kept_right))


def test_ch2_kept_by_max_pooling_cases_have_no_ties():
    for shape in checks._KEPT_SHAPES:
        feature_map = checks._random_feature_map(shape)
        assert len(np.unique(feature_map)) == feature_map.size


def relu(x):
    return np.maximum(x, 0)


def counterexample_found_with_utils():
    rng = np.random.default_rng(0)
    while True:
        x = rng.standard_normal((2, 2))
        if relu(utils.avg_pool2d(x))[0, 0] != utils.avg_pool2d(relu(x))[0, 0]:
            return x


@pytest.mark.parametrize(
    "answer",
    [
        lambda: np.array([[2.0, -2.0], [0.0, 0.0]]),
        lambda: [[1, -3], [5, -1]],  # a list of lists, whole numbers
        lambda: np.array([[3, 1], [2, -1]], dtype=np.int32),  # the mean stays positive
        counterexample_found_with_utils,
    ],
)
def test_ch2_counterexample_passes_mixed_signs(answer):
    verdict = checks.ch2_counterexample(answer)
    assert_right(verdict)
    assert "tf.nn.avg_pool2d and tf.nn.relu" in verdict.message


def test_ch2_counterexample_says_not_done_for_the_stub():
    verdict = checks.ch2_counterexample(stub)
    assert verdict.status == checks.NOT_DONE, verdict.message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda: np.array([[1.0, 2.0], [3.0, 4.0]]), "all four values are zero or positive"),
        (lambda: np.zeros((2, 2)), "all four values are zero or positive"),
        (lambda: [[-1, -2], [0, -4]], "all four values are zero or negative"),
        (lambda: np.array([[1e-9, -1e-9], [0.0, 0.0]]), "differ by less than 1e-6"),
        (lambda: np.array([1.0, -1.0, 0.0, 0.0]), "a 2x2 array was due"),
        (lambda: np.ones((1, 2, 2, 1)), "not shape (1, 2, 2, 1)"),
        (lambda: np.array([[True, False], [False, True]]), "not numbers"),
        (lambda: "2, -2, 0, 0", "not numbers"),
        (lambda: [[1.0, np.nan], [-1.0, 0.0]], "finite"),
        (lambda x: x, "raised TypeError"),
    ],
)
def test_ch2_counterexample_says_why_an_answer_is_not_one(answer, words):
    assert_wrong(checks.ch2_counterexample(answer), words)


def test_ch2_counterexample_shows_both_orders():
    verdict = checks.ch2_counterexample(lambda: [[1, 2], [3, 4]])
    assert_wrong(verdict, "relu(avg_pool(x)) = 2.5 and avg_pool(relu(x)) = 2.5")


# ----------------------------------------------------------------------------------------------
# Chapter 3: padding


def pad_zeros_right(image, p):
    height, width = image.shape
    padded = np.zeros((height + 2 * p, width + 2 * p), dtype=image.dtype)
    padded[p : p + height, p : p + width] = image
    return padded


def pad_zeros_one_side(image, p):
    height, width = image.shape
    padded = np.zeros((height + p, width + p), dtype=image.dtype)
    padded[p:, p:] = image
    return padded


def pad_zeros_with_ones(image, p):
    height, width = image.shape
    padded = np.ones((height + 2 * p, width + 2 * p), dtype=image.dtype)
    padded[p : p + height, p : p + width] = image
    return padded


def pad_zeros_off_centre(image, p):
    height, width = image.shape
    padded = np.zeros((height + 2 * p, width + 2 * p), dtype=image.dtype)
    padded[p + 1 : p + 1 + height, p + 1 : p + 1 + width] = image  # one too far
    return padded


def pad_zeros_loop_off_centre(image, p):
    height, width = image.shape
    padded = np.zeros((height + 2 * p, width + 2 * p), dtype=image.dtype)
    for i in range(height):
        for j in range(width):
            padded[i + p - 1, j + p - 1] = image[i, j]  # one too early
    return padded


def pad_zeros_in_place(image, p):
    padded = pad_zeros_right(image, p)
    image[:] = 0  # "frees" the input: the caller's image is lost
    return padded


def pad_zeros_sliced(image, p):
    height, width = image.shape
    padded = np.zeros((height + 2 * p, width + 2 * p), dtype=image.dtype)
    padded[p:-p, p:-p] = image  # an empty slice when p is 0
    return padded


def test_ch3_pad_zeros_passes_the_slices_np_pad_and_utils():
    assert_right(checks.ch3_pad_zeros(pad_zeros_right))
    assert_right(checks.ch3_pad_zeros(lambda image, p: np.pad(image, p)))
    assert_right(checks.ch3_pad_zeros(lambda image, p: utils.pad2d(image, p)))
    as_floats = checks.ch3_pad_zeros(lambda image, p: pad_zeros_right(image, p).astype(float))
    assert_right(as_floats)  # the values count, not the dtype


def test_ch3_pad_zeros_stub_is_not_done_yet():
    verdict = checks.ch3_pad_zeros(stub)
    assert verdict.status == checks.NOT_DONE and "a new array, p zeros on each side" in str(verdict)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (pad_zeros_one_side, "zeros are added on one side only"),
        (pad_zeros_with_ones, "the border is made of ones"),
        (lambda image, p: np.pad(image, p, mode="edge"), "repeats the edge pixels"),
        (lambda image, p: np.pad(image, p, mode="reflect"), "mirrors the image"),
        (pad_zeros_off_centre, "one pixel off the centre"),
        (pad_zeros_loop_off_centre, "one pixel off the centre"),
        (pad_zeros_in_place, "it changed the image it was given"),
        (pad_zeros_sliced, "raised ValueError"),
        (pad_zeros_sliced, "a slice such as [p:-p] is empty when p is 0"),
    ],
)
def test_ch3_pad_zeros_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch3_pad_zeros(wrong), words)


def test_ch3_pad_zeros_wants_a_2d_array_of_the_padded_shape():
    assert_wrong(checks.ch3_pad_zeros(lambda image, p: None), "not a 2-D array", "(4, 5)")
    rows_only = checks.ch3_pad_zeros(lambda image, p: np.pad(image, [(p, p), (0, 0)]))
    assert_wrong(rows_only, "shape (H + 2p, W + 2p) = (4, 5) is due, not (4, 3)")
    assert_wrong(checks.ch3_pad_zeros(lambda image, p: np.pad(image, p)[None]), "not a 2-D")


def test_ch3_pad_zeros_does_not_pass_a_right_shape_alone():
    verdict = checks.ch3_pad_zeros(lambda image, p: np.zeros((image.shape[0] + 2 * p,) * 2))
    assert_wrong(verdict, "is due, not")
    verdict = checks.ch3_pad_zeros(lambda image, p: np.zeros(np.add(image.shape, 2 * p)))
    assert_wrong(verdict, "tf.pad gives")


def same_pads_right(f):
    before = (f - 1) // 2  # the smaller half goes before (top, left)
    return before, f - 1 - before


def test_ch3_same_pads_passes_the_split_and_utils():
    assert_right(checks.ch3_same_pads(same_pads_right))
    assert_right(checks.ch3_same_pads(lambda f: utils.same_padding(28, f)))
    assert_right(checks.ch3_same_pads(lambda f: list(same_pads_right(f))))
    assert_right(checks.ch3_same_pads(lambda f: tuple(np.array(same_pads_right(f)))))


def test_ch3_same_pads_stub_is_not_done_yet():
    verdict = checks.ch3_same_pads(stub)
    assert verdict.status == checks.NOT_DONE and "the pair (before, after)" in str(verdict)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda f: ((f - 1) // 2, (f - 1) // 2), "both sides get (f - 1) // 2"),
        (lambda f: (f // 2, f // 2), "both sides get f // 2"),
        (lambda f: (f // 2, f - f // 2), "adds f pixels in all"),
        (lambda f: (math.ceil((f - 1) / 2), (f - 1) // 2), "goes before (top, left)"),
        (lambda f: tuple(reversed(same_pads_right(f))), "before and after are swapped"),
        (lambda f: (f - 1, f - 1), "full padding, f - 1 on each side"),
    ],
)
def test_ch3_same_pads_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch3_same_pads(wrong), words, 'tf.nn.conv2d with padding="SAME" gives')


def test_ch3_same_pads_wants_a_pair_of_ints():
    halves = checks.ch3_same_pads(lambda f: ((f - 1) / 2, (f - 1) / 2))
    assert_wrong(halves, "returned (0.0, 0.0): not whole numbers", "divide with `//`")
    assert_wrong(checks.ch3_same_pads(lambda f: (f - 1) // 2), "not a pair")
    assert_wrong(checks.ch3_same_pads(lambda f: (0, 0, f - 1)), "not a pair")
    assert_wrong(checks.ch3_same_pads(lambda f: (True, False)), "not numbers")


def test_ch3_same_pads_reference_is_where_tensorflow_puts_the_zeros():
    splits = [checks._tf_same_split(f) for f in range(1, 8)]
    assert [before + after for before, after in splits] == list(range(7))  # f - 1 in all
    assert [after - before for before, after in splits] == [0, 1] * 3 + [0]  # even: one after


# ----------------------------------------------------------------------------------------------
# Chapter 4: stride


def output_size_right(n, f, p=0, s=1):
    return (n + 2 * p - f) // s + 1


OUTPUT_SIZE_MISTAKES = {
    "rounds up": lambda n, f, p=0, s=1: math.ceil((n + 2 * p - f) / s) + 1,
    "the `+ 1` is missing": lambda n, f, p=0, s=1: (n + 2 * p - f) // s,
    "the padding is counted once": lambda n, f, p=0, s=1: (n + p - f) // s + 1,
    "the stride is left out": lambda n, f, p=0, s=1: n + 2 * p - f + 1,
}


def test_ch4_output_size_passes_the_formula_and_utils():
    assert_right(checks.ch4_output_size(output_size_right))
    assert_right(checks.ch4_output_size(lambda n, f, p=0, s=1: utils.output_size(n, f, p, s)))


@pytest.mark.parametrize("words", OUTPUT_SIZE_MISTAKES)
def test_ch4_output_size_names_each_typical_mistake(words):
    assert_wrong(checks.ch4_output_size(OUTPUT_SIZE_MISTAKES[words]), words, "tf.nn.conv2d gives")


def test_ch4_output_size_wants_an_integer():
    verdict = checks.ch4_output_size(lambda n, f, p=0, s=1: (n + 2 * p - f) / s + 1)
    assert_wrong(verdict, "returned 8.0: not an integer", "divide with `//`")
    assert_wrong(checks.ch4_output_size(lambda n, f, p=0, s=1: None), "not a number")


def unread_right(n, f, p=0, s=1):
    read = np.zeros(n + 2 * p, dtype=bool)
    for start in range(0, n + 2 * p - f + 1, s):
        read[start : start + f] = True
    return ~read[p : p + n]


def unread_in_padded_coordinates(n, f, p=0, s=1):
    read = np.zeros(n + 2 * p, dtype=bool)
    for start in range(0, n + 2 * p - f + 1, s):
        read[start : start + f] = True
    return ~read[:n]


def unread_at_the_end_only(n, f, p=0, s=1):
    unread = np.zeros(n, dtype=bool)
    rest = (n + 2 * p - f) % s - p
    if rest > 0:
        unread[n - rest :] = True
    return unread


def test_ch4_unread_pixels_passes_the_loop_and_utils():
    assert_right(checks.ch4_unread_pixels(unread_right))
    assert_right(checks.ch4_unread_pixels(lambda n, f, p=0, s=1: utils.unused_pixels(n, f, p, s)))
    as_list = checks.ch4_unread_pixels(lambda n, f, p=0, s=1: unread_right(n, f, p, s).tolist())
    assert_right(as_list)  # a list of booleans is an answer too


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda n, f, p=0, s=1: ~unread_right(n, f, p, s), "the other way round"),
        (unread_in_padded_coordinates, "counted in the padded input"),
        (unread_at_the_end_only, "only the end is counted"),
        (lambda n, f, p=0, s=1: np.zeros(n + 2 * p, dtype=bool), "its padding left out"),
        (lambda n, f, p=0, s=1: np.full(n, 0.5), "not booleans"),
    ],
)
def test_ch4_unread_pixels_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch4_unread_pixels(wrong), words)


# ----------------------------------------------------------------------------------------------
# Chapter 8: a CNN from scratch


def average_pool_backward_right(grad, x):
    grad_x = np.zeros(x.shape)  # rows or columns that no window reads get 0
    share = np.repeat(np.repeat(grad, 2, axis=1), 2, axis=2) / 4
    grad_x[:, : share.shape[1], : share.shape[2]] = share
    return grad_x


def average_pool_backward_whole_gradient(grad, x):
    grad_x = np.zeros(x.shape)
    share = np.repeat(np.repeat(grad, 2, axis=1), 2, axis=2)  # the / 4 forgotten
    grad_x[:, : share.shape[1], : share.shape[2]] = share
    return grad_x


def average_pool_backward_tiled(grad, x):
    grad_x = np.zeros(x.shape)
    share = np.tile(grad, (1, 2, 2, 1)) / 4  # tile instead of repeat
    grad_x[:, : share.shape[1], : share.shape[2]] = share
    return grad_x


def average_pool_backward_top_left(grad, x):
    grad_x = np.zeros(x.shape)
    ho, wo = grad.shape[1:3]
    grad_x[:, : 2 * ho : 2, : 2 * wo : 2] = grad  # one input per window
    return grad_x


def average_pool_backward_max_rule(grad, x):
    n, h, w, c = x.shape
    ho, wo = h // 2, w // 2
    grad_x = np.zeros(x.shape)
    for i, j in np.ndindex(ho, wo):
        window = x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]  # (N, 2, 2, C)
        is_max = window == window.max(axis=(1, 2), keepdims=True)
        grad_x[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = is_max * grad[:, i : i + 1, j : j + 1]
    return grad_x


def test_ch8_average_pool_backward_passes_the_repeat_the_loop_and_utils():
    assert_right(checks.ch8_average_pool_backward(average_pool_backward_right))

    def as_a_loop(grad, x):
        grad_x = np.zeros(x.shape)
        for n, i, j, c in np.ndindex(grad.shape):
            grad_x[n, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c] = grad[n, i, j, c] / 4
        return grad_x

    assert_right(checks.ch8_average_pool_backward(as_a_loop))
    # utils has no average pooling; its max pooling (tested against TensorFlow) is not it
    assert_wrong(checks.ch8_average_pool_backward(utils.max_pool_backward), "rule of max pooling")


def test_ch8_average_pool_backward_stub_is_not_done_yet():
    def average_pool_backward(grad, x):
        raise NotImplementedError("your code here")

    verdict = checks.ch8_average_pool_backward(average_pool_backward)
    assert verdict.status == checks.NOT_DONE, verdict.message
    assert verdict.message.startswith("Not done yet: average_pool_backward still raises")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (average_pool_backward_whole_gradient, "not divided by 4"),
        (average_pool_backward_max_rule, "rule of max pooling"),
        (average_pool_backward_top_left, "one input only (the top-left)"),
        (average_pool_backward_tiled, "np.tile repeats the whole map"),
        (lambda grad, x: grad / 4, "that is the output's shape"),
        (lambda grad, x: np.repeat(np.repeat(grad, 2, axis=1), 2, axis=2) / 4, "x has an odd size"),
        (lambda grad, x: np.zeros(x.shape[1:]), "must have the shape of x"),
        (lambda grad, x: None, "not an array"),
        (lambda grad, x: (grad, x), "not an array"),
    ],
)
def test_ch8_average_pool_backward_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch8_average_pool_backward(wrong), words)


def test_ch8_average_pool_backward_shows_the_first_case_in_whole_numbers():
    verdict = checks.ch8_average_pool_backward(average_pool_backward_whole_gradient)
    assert "average_pool_backward([[[[4.0], [8.0]], [[-4.0], [12.0]]]]" in verdict.message
    assert "tf.GradientTape on tf.nn.avg_pool2d gives [[[[1.0], [1.0], [2.0]" in verdict.message


def test_ch8_average_pool_backward_reports_an_in_place_change():
    def in_place(grad, x):
        grad /= 4  # the checker's arrays are read-only: this raises
        return average_pool_backward_right(grad, x)

    assert_wrong(checks.ch8_average_pool_backward(in_place), "raised ValueError", "read-only")


def softmax_cross_entropy_grad_right(logits, labels):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return (p - np.eye(logits.shape[1])[labels]) / len(labels)


def softmax_over_the_batch(logits, labels):
    p = np.exp(logits - logits.max(axis=0, keepdims=True))
    p /= p.sum(axis=0, keepdims=True)  # axis 0: the images, not the classes
    return (p - np.eye(logits.shape[1])[labels]) / len(labels)


def test_ch8_softmax_cross_entropy_grad_passes_the_formula_and_utils():
    assert_right(checks.ch8_softmax_cross_entropy_grad(softmax_cross_entropy_grad_right))
    by_utils = checks.ch8_softmax_cross_entropy_grad(
        lambda logits, labels: utils.softmax_cross_entropy(logits, labels)[1]
    )
    assert_right(by_utils)

    def without_the_shift(logits, labels):  # fine for these logits, which are small
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)

    assert_right(checks.ch8_softmax_cross_entropy_grad(without_the_shift))


def test_ch8_softmax_cross_entropy_grad_stub_is_not_done_yet():
    def softmax_cross_entropy_grad(logits, labels):
        raise NotImplementedError("your code here")

    verdict = checks.ch8_softmax_cross_entropy_grad(softmax_cross_entropy_grad)
    assert verdict.status == checks.NOT_DONE, verdict.message
    assert verdict.message.startswith("Not done yet: softmax_cross_entropy_grad still raises")


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda z, t: len(t) * softmax_cross_entropy_grad_right(z, t), "division by N is missing"),
        (lambda z, t: -softmax_cross_entropy_grad_right(z, t), "the sign is flipped"),
        (
            lambda z, t: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True) / len(t),
            "the one-hot is not subtracted",
        ),
        (softmax_over_the_batch, "softmax is taken over the batch (axis 0)"),
        (lambda z, t: softmax_cross_entropy_grad_right(z, t).sum(axis=0), "one number per logit"),
        (lambda z, t: (0.5, softmax_cross_entropy_grad_right(z, t)), "a tuple: return"),
        (lambda z, t: 0.0, "not an array"),
    ],
)
def test_ch8_softmax_cross_entropy_grad_names_each_typical_mistake(wrong, words):
    verdict = checks.ch8_softmax_cross_entropy_grad(wrong)
    assert_wrong(verdict, words)
    if "gives" in verdict.message:
        assert "tf.nn.sparse_softmax_cross_entropy_with_logits gives" in verdict.message
