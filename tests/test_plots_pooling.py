"""utils.pool_animation: one frame per pooled cell, windows and values as Keras pools them."""

import itertools
import re

import keras
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from test_plots import boxes

import utils

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")

RNG = np.random.default_rng(2)
LAYERS = {"max": keras.layers.MaxPooling2D, "average": keras.layers.AveragePooling2D}


def keras_pool(feature_map, pool_size, stride, mode):
    layer = LAYERS[mode](pool_size=pool_size, strides=stride, padding="valid")
    batch = feature_map[np.newaxis, :, :, np.newaxis].astype("float32")
    return keras.ops.convert_to_numpy(layer(batch))[0, :, :, 0]


@pytest.mark.parametrize(
    "shape,pool_size,stride,mode",
    list(itertools.product([(4, 4), (5, 6)], [2, 3, (2, 3)], [None, 1, 2], ["max", "average"])),
)
def test_frames_follow_the_windows_and_end_with_the_keras_result(shape, pool_size, stride, mode):
    feature_map = RNG.integers(0, 10, shape)
    expected = keras_pool(feature_map, pool_size, stride, mode)
    anim = utils.pool_animation(feature_map, pool_size, stride, mode)
    fig = anim._fig
    try:
        ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
        sh, sw = (ph, pw) if stride is None else (stride, stride)
        for frame, (i, j) in enumerate(np.ndindex(expected.shape)):
            anim._func(frame)
            source, pooled = fig.axes
            assert boxes(source, "tab:red") == [(i * sh, j * sw, ph, pw)]
            if mode == "max":
                (winner,) = [
                    (round(p.get_y() + p.get_height() / 2), round(p.get_x() + p.get_width() / 2))
                    for p in source.patches
                    if to_hex(p.get_edgecolor()) == to_hex("tab:orange")
                ]
                assert feature_map[winner] == expected[i, j]
                assert i * sh <= winner[0] < i * sh + ph and j * sw <= winner[1] < j * sw + pw
            assert len(pooled.texts) == frame + 1
        values = np.array([float(t.get_text()) for t in pooled.texts]).reshape(expected.shape)
        np.testing.assert_allclose(values, expected, rtol=5e-3)
        assert len(list(anim.new_frame_seq())) == expected.size
    finally:
        plt.close(fig)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_the_html_player_holds_one_frame_per_pooled_cell(mode):
    feature_map = RNG.integers(0, 10, (6, 6))
    expected = keras_pool(feature_map, 3, 1, mode)
    html = utils.animation_html(utils.pool_animation(feature_map, 3, 1, mode)).data
    assert len(set(re.findall(r"frames\[(\d+)\]", html))) == expected.size == 16


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"feature_map": np.ones((2, 4, 4))}, ValueError, "feature_map must be a 2-D array"),
        ({"mode": "min"}, ValueError, "mode must be 'max' or 'average'"),
        ({"pool_size": 5}, ValueError, "larger than the input"),
        ({"pool_size": 0}, ValueError, "pool_size must be >= 1"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"pool_size": 2.5}, TypeError, "pool_size must be an integer"),
        ({"feature_map": np.array([["a", "b"], ["c", "d"]])}, TypeError, "must hold numbers"),
        ({"interval": 0}, ValueError, "interval must be >= 1"),
        ({"max_frames": 3}, ValueError, "more than max_frames=3"),
    ],
)
def test_pool_animation_rejects_bad_input(kwargs, error, match):
    arguments = {"feature_map": np.ones((4, 4))} | kwargs
    with pytest.raises(error, match=match):
        utils.pool_animation(**arguments)
    plt.close("all")
