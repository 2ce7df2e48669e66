"""utils.max_pool2d and utils.avg_pool2d against Keras' pooling layers."""

import itertools

import keras
import numpy as np
import pytest

import utils

RNG = np.random.default_rng(1)

GRID = [
    (h, w, c, pool, stride)
    for (h, w), c, pool, stride in itertools.product(
        [(4, 4), (7, 5), (24, 24)], [1, 3], [1, 2, 3, (2, 3)], [None, 1, 2, 3]
    )
]


@pytest.mark.parametrize("h,w,c,pool,stride", GRID)
@pytest.mark.parametrize(
    "ours,layer",
    [
        (utils.max_pool2d, keras.layers.MaxPooling2D),
        (utils.avg_pool2d, keras.layers.AveragePooling2D),
    ],
)
def test_pooling_matches_keras(h, w, c, pool, stride, ours, layer):
    image = RNG.standard_normal((h, w, c)).astype("float32")
    reference = layer(pool_size=pool, strides=stride, padding="valid")
    expected = keras.ops.convert_to_numpy(reference(image[np.newaxis]))[0]
    result = ours(image, pool, stride)
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-6)


def test_two_dimensional_input_keeps_two_dimensions():
    image = RNG.standard_normal((6, 6)).astype("float32")
    expected = keras.layers.MaxPooling2D()(image[np.newaxis, :, :, np.newaxis])
    result = utils.max_pool2d(image)
    assert result.shape == (3, 3)
    np.testing.assert_array_equal(result, keras.ops.convert_to_numpy(expected)[0, :, :, 0])


@pytest.mark.parametrize(
    "shape,kwargs,error,match",
    [
        ((4,), {}, ValueError, "image must have shape"),
        ((4, 4), {"pool_size": 0}, ValueError, "pool_size must be >= 1"),
        ((4, 4), {"pool_size": 5}, ValueError, "larger than the input"),
        ((4, 4), {"stride": 0}, ValueError, "stride must be >= 1"),
        ((4, 4), {"pool_size": 2.0}, TypeError, "pool_size must be an integer"),
        ((4, 4), {"pool_size": (2, 2, 2)}, ValueError, "pool_size must be an integer or a pair"),
    ],
)
@pytest.mark.parametrize("pool", [utils.max_pool2d, utils.avg_pool2d])
def test_pooling_rejects_bad_input(shape, kwargs, error, match, pool):
    with pytest.raises(error, match=match):
        pool(np.ones(shape), **kwargs)
