"""utils.explorer: window positions and unused pixels against TensorFlow, and the explorer."""

import itertools

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.patches import Rectangle

import utils

matplotlib.use("Agg")


def displayed(widget) -> dict:
    """What a notebook receives when ``widget`` is displayed, with ipywidgets 7 (Colab's) or 8.

    ipywidgets 8 formats a widget with ``_repr_mimebundle_``; 7 publishes it from
    ``_ipython_display_``. IPython's own ``display``, captured, covers both.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        display(widget)
    (output,) = captured.outputs
    return output.data


GRID = [
    (n, f, p, s, d)
    for n, f, p, s, d in itertools.product(
        [1, 4, 7, 8, 12], [1, 2, 3, 5], [0, 1, 2], [1, 2, 3, 4], [1, 2, 3]
    )
    if d * (f - 1) + 1 <= n + 2 * p
]


def tf_conv1d(signal, kernel, s, d):
    """Keras' 1-D valid convolution; TensorFlow refuses stride and dilation both > 1, so a
    dilated convolution with stride s is taken as every s-th output of the stride-1 one."""
    x = tf.reshape(tf.cast(signal, "float32"), (1, -1, 1))
    w = tf.reshape(tf.cast(kernel, "float32"), (-1, 1, 1))
    if d == 1:
        return keras.ops.conv(x, w, strides=s, padding="valid")[0, :, 0]
    return keras.ops.conv(x, w, strides=1, padding="valid", dilation_rate=d)[0, ::s, 0]


@pytest.mark.parametrize("n,f,p,s,d", GRID)
def test_window_starts_match_the_positions_keras_reads(n, f, p, s, d):
    # A kernel whose only non-zero tap is the first reads, at each position, the padded index
    # of the window's start (the signal holds index + 1, so that no value is 0).
    signal = np.arange(1, n + 2 * p + 1)
    kernel = np.zeros(f)
    kernel[0] = 1
    starts = np.asarray(tf_conv1d(signal, kernel, s, d)) - 1
    assert utils.window_starts(n, f, p, s, d) == starts.round().astype(int).tolist()


@pytest.mark.parametrize("n,f,p,s,d", GRID)
def test_unused_pixels_are_those_with_zero_gradient_in_keras(n, f, p, s, d):
    x = tf.Variable(np.ones(n, dtype="float32"))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf_conv1d(tf.pad(x, [[p, p]]), np.ones(f), s, d))
    gradient = tape.gradient(total, x).numpy()
    np.testing.assert_array_equal(utils.unused_pixels(n, f, p, s, d), gradient == 0)


@pytest.mark.parametrize("h,w,f,s", [(7, 7, 3, 3), (9, 8, 2, 3), (11, 6, 4, 5), (8, 10, 3, 2)])
def test_unused_pixels_in_2d_are_unused_rows_or_columns(h, w, f, s):
    layer = keras.layers.Conv2D(1, f, strides=s, kernel_initializer="ones")
    x = tf.Variable(np.ones((1, h, w, 1), dtype="float32"))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x))
    unused_2d = tape.gradient(total, x).numpy()[0, :, :, 0] == 0
    rows, cols = utils.unused_pixels(h, f, 0, s), utils.unused_pixels(w, f, 0, s)
    np.testing.assert_array_equal(np.logical_or.outer(rows, cols), unused_2d)


@pytest.mark.parametrize(
    "n,f,p,s,d", [(7, 3, 0, 3, 1), (8, 3, 1, 2, 2), (5, 5, 0, 1, 1), (6, 2, 2, 4, 1)]
)
def test_draw_output_size_draws_cells_windows_and_taps(n, f, p, s, d):
    ax = utils.draw_output_size(n, f, p, s, d)
    rectangles = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    size = utils.output_size(n, f, p, s, d)
    assert len(rectangles) == (n + 2 * p) + size * (1 + f)
    red = [r for r in rectangles if r.get_facecolor()[:3] == matplotlib.colors.to_rgb("tab:red")]
    assert len(red) == utils.unused_pixels(n, f, p, s, d).sum()
    assert f"= {size}$" in ax.get_title()
    matplotlib.pyplot.close(ax.figure)


def test_draw_output_size_uses_a_given_axes():
    fig, ax = matplotlib.pyplot.subplots()
    assert utils.draw_output_size(7, 3, ax=ax) is ax
    matplotlib.pyplot.close(fig)


def test_describe_output_size_lists_unused_pixels():
    assert utils.describe_output_size(9, 3, 0, 2, 2).endswith("unused input pixels: 1, 3, 5, 7")
    assert utils.describe_output_size(7, 3, 1, 2).endswith("unused input pixels: none")


def test_explorer_follows_its_sliders():
    explorer = utils.output_size_explorer(n=7, f=3, p=0, s=3)
    picture = explorer.children[2]
    assert repr(explorer) == utils.describe_output_size(7, 3, 0, 3)
    first = bytes(picture.value)
    assert first.startswith(b"\x89PNG")
    explorer.sliders["s"].value = 2
    shape = keras.layers.Conv2D(1, 3, strides=2).compute_output_shape((None, 7, 7, 1))
    assert f"output size {shape[1]};" in repr(explorer)
    assert bytes(picture.value) != first
    bundle = displayed(explorer)
    assert bundle["text/plain"] == repr(explorer)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_explorer_reports_settings_where_no_window_fits():
    explorer = utils.output_size_explorer(n=7, f=3)
    explorer.sliders["n"].value = 2
    assert "more than the padded input" in repr(explorer)
    assert "no window position fits" in explorer.children[1].value
    assert bytes(explorer.children[2].value) == b""
    explorer.sliders["p"].value = 1  # n + 2p = 4: one position with stride 3
    assert "output size 1;" in repr(explorer)
    assert bytes(explorer.children[2].value).startswith(b"\x89PNG")


def test_explorer_text_form_is_whole_for_the_longest_description():
    # ipywidgets cuts a widget's text form after 110 characters; the explorer's never are.
    explorer = utils.output_size_explorer(n=16, f=1, p=1, s=5)
    text = displayed(explorer)["text/plain"]
    assert text == utils.describe_output_size(16, 1, 1, 5)
    assert text.endswith("unused input pixels: 0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 15")


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        (dict(n=17), ValueError, "n must be <= 16"),
        (dict(f=8), ValueError, "f must be <= 7"),
        (dict(p=-1), ValueError, "p must be >= 0"),
        (dict(s=0), ValueError, "s must be >= 1"),
        (dict(d=4), ValueError, "d must be <= 3"),
        (dict(s=2.0), TypeError, "s must be an integer"),
        (dict(n=2, f=3), ValueError, "spans 3 pixels"),
    ],
)
def test_explorer_rejects_bad_starting_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.output_size_explorer(**kwargs)


def test_animation_has_a_frame_per_setting():
    anim = utils.output_size_animation([(7, 3, 0, 1), (7, 3, 0, 2), (7, 3, 1, 3, 2)])
    html = utils.animation_html(anim).data
    assert html.count("data:image/png;base64") == 3


@pytest.mark.parametrize(
    "settings,error,match",
    [
        ([], ValueError, "at least one"),
        ([(7, 3, 0)], ValueError, r"\(n, f, p, s\) or \(n, f, p, s, d\)"),
        ([(7, 3, 0, 1), (3, 5, 0, 1)], ValueError, "spans 5 pixels"),
        ([(7, 3, 0, 0)], ValueError, "s must be >= 1"),
        ([(7.0, 3, 0, 1)], TypeError, "n must be an integer"),
    ],
)
def test_animation_rejects_bad_settings(settings, error, match):
    with pytest.raises(error, match=match):
        utils.output_size_animation(settings)


@pytest.mark.parametrize(
    "function,args,error,match",
    [
        (utils.window_starts, (3, 5), ValueError, "spans 5 pixels"),
        (utils.window_starts, (5, 3, 0, 0), ValueError, "s must be >= 1"),
        (utils.unused_pixels, (5, 3, -1), ValueError, "p must be >= 0"),
        (utils.unused_pixels, (5, "3"), TypeError, "f must be an integer"),
        (utils.describe_output_size, (5, 3, 0, 1, 0), ValueError, "d must be >= 1"),
        (utils.draw_output_size, (0, 1), ValueError, "n must be >= 1"),
    ],
)
def test_bad_input_is_rejected(function, args, error, match):
    with pytest.raises(error, match=match):
        function(*args)


# The explorer in the page (utils.geometry_explorer); tests/test_explorer_page.py runs it.


def keras_geometry(n, f, padding, s):
    """Output size and unread pixels along one axis, from Keras: the output's length and the
    input pixels whose gradient is 0. ``None`` when Keras finds no window position."""
    x = tf.Variable(np.ones((1, n, 1), dtype="float32"))
    w = tf.ones((f, 1, 1))
    try:
        with tf.GradientTape() as tape:
            if padding in ("valid", "same"):
                y = keras.ops.conv(x, w, strides=s, padding=padding)
            else:
                y = keras.ops.conv(tf.pad(x, [[0, 0], [padding, padding], [0, 0]]), w, strides=s)
            total = tf.reduce_sum(y)
        if y.shape[1] <= 0:
            return None
        gradient = tape.gradient(total, x).numpy()[0, :, 0]
    except (tf.errors.OpError, ValueError):  # "Computed output size would be negative"
        return None
    return y.shape[1], np.flatnonzero(gradient == 0).tolist()


@pytest.mark.parametrize(
    "n,f,padding,s",
    [(7, 3, 0, 2), (7, 3, "same", 2), (8, 3, "valid", 3), (7, 1, "same", 3), (6, 4, 1, 5)],
)
def test_geometry_explorer_says_what_keras_computes(n, f, padding, s):
    explorer = utils.geometry_explorer(n=n, f=f, padding=padding, s=s)
    size, unread = keras_geometry(n, f, padding, s)
    formula, read = repr(explorer).split("\n")
    assert formula.endswith(f"= {size}, so {size}×{size}.")
    if unread:
        assert read.endswith(f"reads (in red): {', '.join(map(str, unread))} of 0 to {n - 1}.")
    else:
        assert read == "Every input pixel is read by some window."
    if padding == "same":
        before, after = utils.same_padding(n, f, s)
        assert f"pads {before} before and {after} after" in formula


def test_geometry_explorer_shows_its_setting_and_carries_its_own_script():
    page = utils.geometry_explorer(n=8, f=3, padding="same", s=3)._repr_html_()
    explorer_id = "geometry-explorer-8-3-same-3"
    assert f'id="{explorer_id}"' in page and page.count("<script>") == 1
    # the script finds the explorer just before it, or by id where a front end moves the script
    finder = f'previousElementSibling) || document.getElementById("{explorer_id}")'
    assert "document.currentScript" in page and finder in page
    assert '<option value="same" selected>' in page and 'value="8"' in page
    assert "pads 0 before and 1 after" in page  # the words shown before the script runs


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"n": 17}, "n must be <= 16"),
        ({"f": 0}, "f must be"),
        ({"s": 6}, "s must be <= 5"),
        ({"padding": 4}, "padding must be one of"),
        ({"padding": "full"}, "padding must be one of"),
        ({"padding": True}, "padding must be one of"),
        ({"n": 2, "f": 5, "padding": 1}, "more than the padded input"),
    ],
)
def test_geometry_explorer_rejects_bad_starting_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.geometry_explorer(**kwargs)
