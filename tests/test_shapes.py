"""utils.output_size and utils.same_padding against the shapes Keras layers produce."""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import utils

GRID = [
    (n, f, s) for n, f, s in itertools.product([5, 6, 7, 12, 28], [1, 2, 3, 5], [1, 2, 3]) if f <= n
]


@pytest.mark.parametrize("n,f,s", GRID)
def test_valid_output_size_matches_keras(n, f, s):
    layer = keras.layers.Conv2D(1, f, strides=s, padding="valid")
    shape = layer.compute_output_shape((None, n, n, 1))
    assert utils.output_size(n, f, 0, s) == shape[1]


@pytest.mark.parametrize("n,f,s", GRID)
def test_same_padding_keeps_ceil_n_over_s(n, f, s):
    layer = keras.layers.Conv2D(1, f, strides=s, padding="same")
    before, after = utils.same_padding(n, f, s)
    padded_size = (n + before + after - f) // s + 1
    assert padded_size == layer.compute_output_shape((None, n, n, 1))[1]
    assert after - before in (0, 1)


@pytest.mark.parametrize("n,f,p,s", [(7, 3, 1, 2), (28, 5, 2, 1), (10, 4, 3, 3), (6, 6, 0, 1)])
def test_explicit_padding_matches_keras_zero_padding(n, f, p, s):
    model = keras.Sequential(
        [keras.Input((n, n, 1)), keras.layers.ZeroPadding2D(p), keras.layers.Conv2D(1, f, s)]
    )
    assert utils.output_size(n, f, p, s) == model.output_shape[1]


@pytest.mark.parametrize("n,f,d", [(12, 3, 2), (28, 5, 2), (9, 3, 4)])
def test_dilated_output_size_matches_keras(n, f, d):
    layer = keras.layers.Conv2D(1, f, dilation_rate=d)
    assert utils.output_size(n, f, d=d) == layer.compute_output_shape((None, n, n, 1))[1]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(n=3, f=5), ValueError, "spans 5 pixels"),
        (dict(n=5, f=3, s=0), ValueError, "s must be >= 1"),
        (dict(n=5, f=3, p=-1), ValueError, "p must be >= 0"),
        (dict(n=5.0, f=3), TypeError, "n must be an integer"),
        (dict(n=5, f="3"), TypeError, "f must be an integer"),
        (dict(n=5, f=True), TypeError, "f must be an integer"),
        (dict(n=0, f=1), ValueError, "n must be >= 1"),
        (dict(n=5, f=3, d=0), ValueError, "d must be >= 1"),
    ],
)
def test_output_size_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.output_size(**kwargs)


def test_output_size_accepts_numpy_integers():
    assert utils.output_size(np.int64(28), np.int32(5)) == 24


# ----------------------------------------------------------------------------------------------
# Receptive fields, against the input gradient of one output value in TensorFlow

STACKS = {
    "the course CNN": [("conv1", 5, 1), ("pool1", 2, 2), ("conv2", 5, 1), ("pool2", 2, 2)],
    "strided, padded": [("a", 3, 2, 1), ("b", 3, 1, 1), ("c", 2, 2), ("d", 3, 2, 2)],
    "one layer": [("only", 4, 3)],
}


def gradient_window(stack, n: int, i: int) -> tuple[int, int]:
    """First and last input pixel whose gradient for output value ``i`` is not zero."""
    x = tf.Variable(tf.ones((1, n, 1, 1)))
    with tf.GradientTape() as tape:
        h = x
        # Every layer as a convolution with an all-ones kernel (a pooling window reads the same
        # pixels as a sum, and no gradient is routed away or vanishes on the way back).
        for _, f, s, *p in stack:
            pad = p[0] if p else 0
            h = tf.nn.conv2d(
                h, tf.ones((f, 1, 1, 1)), (1, s, 1, 1), [[0, 0], [pad, pad], [0, 0], [0, 0]]
            )
        value = h[0, i, 0, 0]
    touched = np.flatnonzero(tape.gradient(value, x).numpy().reshape(n))
    return int(touched[0]), int(touched[-1])


@pytest.mark.parametrize("stack", STACKS.values(), ids=STACKS.keys())
def test_receptive_fields_match_the_input_gradient(stack):
    n = 40
    fields = utils.receptive_fields(stack)
    for depth in range(1, len(stack) + 1):
        field = fields[depth - 1]
        outputs = utils.output_size(n, 1)  # n, then shrunk layer by layer
        for _, f, s, *p in stack[:depth]:
            outputs = utils.output_size(outputs, f, p[0] if p else 0, s)
        for i in range(outputs):
            first, last = field.window(i)
            expected = (max(first, 0), min(last, n - 1))  # the part inside the image
            assert gradient_window(stack[:depth], n, i) == expected, (field, i)


def test_the_course_cnns_fields():
    fields = utils.receptive_fields(STACKS["the course CNN"])
    assert [(r.size, r.jump, r.start) for r in fields] == [
        (5, 1, 0),
        (6, 2, 0),
        (14, 2, 0),
        (16, 4, 0),
    ]
    assert fields[-1].window(3) == (12, 27)  # the last of pool2's 4 values ends at pixel 27


@pytest.mark.parametrize(
    ("layers", "words"),
    [
        ([("conv", 5)], "each layer is"),
        (["conv"], "each layer is"),
        ([("conv", 0, 1)], "f must be"),
        ([("conv", 3, 1, -1)], "p must be"),
    ],
)
def test_receptive_fields_reject_bad_layers(layers, words):
    with pytest.raises(ValueError, match=words):
        utils.receptive_fields(layers)
