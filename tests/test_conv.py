"""utils.conv2d and utils.pad2d against TensorFlow's convolution and padding."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import utils

RNG = np.random.default_rng(0)


def keras_conv(image, kernel, bias, stride, padding, dilation=1):
    """Reference: a Keras Conv2D layer holding the same weights."""
    layer = keras.layers.Conv2D(
        kernel.shape[3], kernel.shape[:2], strides=stride, padding=padding, dilation_rate=dilation
    )
    layer.build((1, *image.shape))
    layer.set_weights([kernel, bias])
    return keras.ops.convert_to_numpy(layer(image[np.newaxis]))[0]


GRID = [
    (h, w, c, k, kh, kw, s, padding)
    for (h, w), c, k, (kh, kw), s, padding in itertools.product(
        [(5, 5), (7, 6), (12, 9)],
        [1, 3],
        [1, 4],
        [(1, 1), (2, 2), (3, 3), (5, 2)],
        [1, 2, 3],
        ["valid", "same"],
    )
    if kh <= h and kw <= w
]


@pytest.mark.parametrize("h,w,c,k,kh,kw,stride,padding", GRID)
def test_conv2d_matches_keras_conv2d(h, w, c, k, kh, kw, stride, padding):
    image = RNG.standard_normal((h, w, c)).astype("float32")
    kernel = RNG.standard_normal((kh, kw, c, k)).astype("float32")
    bias = RNG.standard_normal(k).astype("float32")
    expected = keras_conv(image, kernel, bias, stride, padding)
    result = utils.conv2d(image, kernel, bias, stride=stride, padding=padding)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("p,stride", [(1, 1), (2, 1), (1, 2), (3, 3), (2, 2)])
def test_integer_padding_matches_tf_explicit_padding(p, stride):
    image = RNG.standard_normal((9, 8, 2)).astype("float32")
    kernel = RNG.standard_normal((3, 4, 2, 3)).astype("float32")
    expected = tf.nn.conv2d(
        image[np.newaxis], kernel, strides=stride, padding=[[0, 0], [p, p], [p, p], [0, 0]]
    ).numpy()[0]
    np.testing.assert_allclose(
        utils.conv2d(image, kernel, stride=stride, padding=p), expected, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("f", [2, 3, 5])
def test_full_padding_pads_kernel_size_minus_one(f):
    image = RNG.standard_normal((6, 7)).astype("float32")
    kernel = RNG.standard_normal((f, f)).astype("float32")
    expected = tf.nn.conv2d(
        image[np.newaxis, :, :, np.newaxis],
        kernel[:, :, np.newaxis, np.newaxis],
        strides=1,
        padding=[[0, 0], [f - 1, f - 1], [f - 1, f - 1], [0, 0]],
    ).numpy()[0, :, :, 0]
    result = utils.conv2d(image, kernel, padding="full")
    assert result.shape == (6 + f - 1, 7 + f - 1)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dilation,padding", [(2, "valid"), (2, "same"), (3, "valid")])
def test_dilated_conv2d_matches_keras(dilation, padding):
    image = RNG.standard_normal((13, 11, 2)).astype("float32")
    kernel = RNG.standard_normal((3, 3, 2, 2)).astype("float32")
    bias = np.zeros(2, "float32")
    expected = keras_conv(image, kernel, bias, 1, padding, dilation)
    result = utils.conv2d(image, kernel, stride=1, padding=padding, dilation=dilation)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-5)


def test_single_channel_kernel_gives_2d_feature_map():
    image = RNG.integers(0, 10, (6, 6))
    kernel = RNG.integers(-2, 3, (3, 3))
    result = utils.conv2d(image, kernel)
    expected = tf.nn.conv2d(
        image[np.newaxis, :, :, np.newaxis].astype("float64"),
        kernel[:, :, np.newaxis, np.newaxis].astype("float64"),
        strides=1,
        padding="VALID",
    ).numpy()[0, :, :, 0]
    assert result.shape == (4, 4)
    assert np.issubdtype(result.dtype, np.integer)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("p", [0, 1, 2, (1, 2), ((0, 1), (2, 3))])
@pytest.mark.parametrize("channels", [None, 3])
def test_pad2d_matches_keras_zero_padding(p, channels):
    shape = (4, 5) if channels is None else (4, 5, channels)
    image = RNG.standard_normal(shape).astype("float32")
    layer = keras.layers.ZeroPadding2D(p)
    batch = image[np.newaxis, ..., np.newaxis] if channels is None else image[np.newaxis]
    expected = keras.ops.convert_to_numpy(layer(batch))[0]
    expected = expected[..., 0] if channels is None else expected
    np.testing.assert_array_equal(utils.pad2d(image, p), expected)


@pytest.mark.parametrize("mode,tf_mode", [("reflect", "REFLECT"), ("replicate", "SYMMETRIC")])
def test_pad2d_reflect_and_replicate_match_tf_pad(mode, tf_mode):
    image = RNG.standard_normal((5, 6)).astype("float32")
    if mode == "replicate":
        # tf.pad has no edge mode; replicating by 1 pixel equals SYMMETRIC padding by 1.
        expected = tf.pad(image, [[1, 1], [1, 1]], mode=tf_mode).numpy()
        np.testing.assert_array_equal(utils.pad2d(image, 1, mode=mode), expected)
    else:
        expected = tf.pad(image, [[2, 2], [2, 2]], mode=tf_mode).numpy()
        np.testing.assert_array_equal(utils.pad2d(image, 2, mode=mode), expected)


@pytest.mark.parametrize(
    "image_shape,kernel_shape,kwargs,error,match",
    [
        ((5,), (3, 3), {}, ValueError, r"image must have shape \(H, W\) or \(H, W, C\)"),
        ((5, 5, 3, 1), (3, 3), {}, ValueError, "image must have shape"),
        ((5, 5, 3), (3, 3), {}, ValueError, "needs a one-channel image"),
        ((5, 5, 3), (3, 3, 2, 4), {}, ValueError, "kernel has 2 input channels but image has 3"),
        ((5, 5), (3,), {}, ValueError, "kernel must have shape"),
        ((5, 5), (3, 3), {"stride": 0}, ValueError, "stride must be >= 1"),
        ((5, 5), (3, 3), {"stride": 1.5}, TypeError, "stride must be an integer"),
        ((5, 5), (3, 3), {"padding": -1}, ValueError, "padding must be >= 0"),
        ((5, 5), (3, 3), {"padding": "reflect"}, ValueError, "padding must be an int, 'valid'"),
        ((5, 5), (3, 3), {"padding": 1.0}, TypeError, "padding must be an integer"),
        ((3, 3), (5, 5), {}, ValueError, "larger than the padded input"),
        ((3, 3), (5, 5), {"padding": 0}, ValueError, "larger than the padded input"),
        ((5, 5), (3, 3), {"dilation": 0}, ValueError, "dilation must be >= 1"),
        ((5, 5), (3, 3), {"bias": np.ones(2)}, ValueError, "bias must be a scalar or have shape"),
    ],
)
def test_conv2d_rejects_bad_input(image_shape, kernel_shape, kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.conv2d(np.ones(image_shape), np.ones(kernel_shape), **kwargs)


def test_conv2d_rejects_non_numeric_input():
    with pytest.raises(TypeError, match="image must hold numbers"):
        utils.conv2d(np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1)))
    with pytest.raises(TypeError, match="kernel must hold numbers"):
        utils.conv2d(np.ones((3, 3)), np.array([["a"]]))


@pytest.mark.parametrize(
    "p,kwargs,error,match",
    [
        (-1, {}, ValueError, "padding must be >= 0"),
        ((1, 2, 3), {}, ValueError, "padding must be an int, a pair"),
        (1, {"mode": "wrap"}, ValueError, "mode must be one of"),
        (4, {"mode": "reflect"}, ValueError, "reflect padding needs p smaller"),
    ],
)
def test_pad2d_rejects_bad_input(p, kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.pad2d(np.ones((4, 4)), p, **kwargs)
