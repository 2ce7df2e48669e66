"""utils.output_size and utils.same_padding against the shapes Keras layers produce."""

import itertools

import keras
import numpy as np
import pytest

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
