"""utils.draw_grid, draw_conv_step, conv_animation and animation_html: what they draw.

The feature maps drawn are compared with TensorFlow's convolution, the drawn input with NumPy's
padding, and the frames of an animation with the cells of the feature map.
"""

import base64
import io
import itertools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from matplotlib import animation  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import utils  # noqa: E402

RNG = np.random.default_rng(1)

# The tests drive an animation's frames by hand instead of rendering it to a movie.
pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tf_conv(image, kernel, stride, padding):
    """Reference: tf.nn.conv2d (cross-correlation) of one single-channel image."""
    kh, kw = kernel.shape
    if padding == "valid":
        tf_padding = "VALID"
    elif padding == "same":
        tf_padding = "SAME"
    elif padding == "full":
        tf_padding = [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]
    else:
        tf_padding = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    result = tf.nn.conv2d(
        image[np.newaxis, :, :, np.newaxis].astype("float64"),
        kernel[:, :, np.newaxis, np.newaxis].astype("float64"),
        strides=stride,
        padding=tf_padding,
    )
    return result.numpy()[0, :, :, 0]


def np_padding(image, kernel, stride, padding):
    """((top, bottom), (left, right)), worked out independently of utils.same_padding."""
    kh, kw = kernel.shape
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "full":
        return (kh - 1, kh - 1), (kw - 1, kw - 1)
    if padding == "same":
        pads = []
        for n, f in zip(image.shape, kernel.shape, strict=True):
            total = max((-(-n // stride) - 1) * stride + f - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return (padding, padding), (padding, padding)


def boxes(ax, color=None):
    """(row, col, height, width) of the rectangles outlined on a grid, optionally of one colour."""
    return [
        (
            round(p.get_y() + 0.5),
            round(p.get_x() + 0.5),
            round(p.get_height()),
            round(p.get_width()),
        )
        for p in ax.patches
        if isinstance(p, Rectangle)
        and (color is None or to_hex(p.get_edgecolor()) == to_hex(color))
    ]


def labels(ax):
    return [t.get_text() for t in ax.texts]


# draw_grid


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (6, 4)])
def test_draw_grid_draws_every_value(shape):
    values = RNG.integers(-9, 10, shape)
    ax = utils.draw_grid(values, title="t")
    assert isinstance(ax, matplotlib.axes.Axes)
    np.testing.assert_array_equal(ax.images[0].get_array(), values)
    assert labels(ax) == [str(v) for v in values.ravel()]
    assert ax.get_title() == "t"
    assert boxes(ax) == []


def test_draw_grid_draws_on_the_given_axes_with_the_given_format():
    fig, axes = plt.subplots(1, 2)
    values = np.array([[0.3, -0.0], [1.5, -2.14]])
    assert utils.draw_grid(values, axes[1], fmt="{:.1f}") is axes[1]
    assert not axes[0].images
    assert labels(axes[1]) == ["0.3", "0.0", "1.5", "-2.1"]  # no "-0.0"


def test_draw_grid_mask_leaves_cells_blank_and_shade_greys_them():
    values = np.arange(12).reshape(3, 4)
    mask = values % 3 == 0
    ax = utils.draw_grid(values, mask=mask, shade=~mask)
    assert labels(ax) == [str(v) for v in values[mask]]
    np.testing.assert_array_equal(np.ma.getmaskarray(ax.images[0].get_array()), ~mask)
    np.testing.assert_array_equal(~np.ma.getmaskarray(ax.images[1].get_array()), ~mask)


@pytest.mark.parametrize(
    "highlight,expected",
    [
        ((1, 2, 2, 3), [(1, 2, 2, 3)]),
        ([(0, 0, 1, 1), (2, 3, 1, 2)], [(0, 0, 1, 1), (2, 3, 1, 2)]),
        ([[0, 1, 3, 3]], [(0, 1, 3, 3)]),
    ],
)
def test_draw_grid_outlines_the_highlighted_windows(highlight, expected):
    ax = utils.draw_grid(np.zeros((4, 5)), highlight=highlight)
    assert boxes(ax) == expected


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"values": np.arange(4)}, ValueError, "values must be a 2-D array"),
        ({"values": np.zeros((2, 2, 2))}, ValueError, "values must be a 2-D array"),
        ({"values": np.zeros((0, 3))}, ValueError, "values must not be empty"),
        ({"values": [["a", "b"]]}, TypeError, "values must hold numbers"),
        ({"mask": np.ones((3, 3), dtype=bool)}, ValueError, "mask must have the shape"),
        ({"mask": np.ones((2, 2))}, TypeError, "mask must be a boolean array"),
        ({"shade": np.ones((2, 3), dtype=bool)}, ValueError, "shade must have the shape"),
        ({"highlight": (1, 2, 3)}, ValueError, r"highlight must be \(row, col, height, width\)"),
        ({"highlight": (0, 0, 0, 1)}, ValueError, "height, width >= 1"),
        ({"highlight": (-1, 0, 1, 1)}, ValueError, "row, col"),
        ({"highlight": (0.5, 0, 1, 1)}, ValueError, "integer"),
        ({"highlight": []}, ValueError, "highlight must be"),
        ({"ax": "left"}, TypeError, "ax must be a matplotlib Axes"),
        ({"fmt": 3}, TypeError, "fmt must be a format string"),
    ],
)
def test_draw_grid_rejects_bad_input(kwargs, error, match):
    arguments = {"values": np.zeros((2, 2))} | kwargs
    with pytest.raises(error, match=match):
        utils.draw_grid(**arguments)


# draw_conv_step and conv_animation

GRID = [
    (shape, kernel_shape, stride, padding)
    for shape, kernel_shape, stride, padding in itertools.product(
        [(5, 5), (4, 6)], [(3, 3), (2, 3)], [1, 2], ["valid", "same", 1]
    )
] + [((3, 3), (2, 2), 1, "full"), ((3, 4), (2, 3), 2, "full"), ((3, 4), (1, 1), 1, 0)]


@pytest.mark.parametrize("shape,kernel_shape,stride,padding", GRID)
def test_conv_animation_draws_a_frame_per_cell_and_ends_with_tensorflow_result(
    shape, kernel_shape, stride, padding
):
    image = RNG.integers(0, 5, shape)
    kernel = RNG.integers(-2, 3, kernel_shape)
    expected = tf_conv(image, kernel, stride, padding)
    pads = np_padding(image, kernel, stride, padding)
    padded = np.pad(image, pads)

    anim = utils.conv_animation(image, kernel, stride, padding)
    assert len(list(anim.new_frame_seq())) == expected.size
    source, drawn_kernel, feature_map = anim._fig.axes
    for frame, (i, j) in enumerate(np.ndindex(expected.shape)):
        anim._func(frame)
        np.testing.assert_array_equal(source.images[0].get_array(), padded)
        assert boxes(source) == [(i * stride, j * stride, *kernel.shape)]
        assert boxes(feature_map) == [(i, j, 1, 1)]
        assert len(feature_map.texts) == frame + 1
        assert anim._fig.get_supxlabel().endswith(f"= {expected[i, j]:g}")
    np.testing.assert_array_equal(drawn_kernel.images[0].get_array(), kernel)
    np.testing.assert_array_equal(feature_map.images[0].get_array(), expected)
    assert labels(feature_map) == [f"{v:g}" for v in expected.ravel()]


@pytest.mark.parametrize(
    "shape,kernel_shape,stride,padding", [((5, 5), (3, 3), 1, "valid"), ((4, 6), (2, 3), 2, "same")]
)
def test_animation_html_embeds_every_frame_and_a_player(shape, kernel_shape, stride, padding):
    image = RNG.integers(0, 5, shape)
    kernel = RNG.integers(-2, 3, kernel_shape)
    n_cells = tf_conv(image, kernel, stride, padding).size
    anim = utils.conv_animation(image, kernel, stride, padding)
    html = utils.animation_html(anim).data
    assert not plt.fignum_exists(anim._fig.number)
    assert 'class="anim-controls"' in html and "new Animation(frames" in html
    frames = re.findall(r'frames\[(\d+)\] = "data:image/png;base64,', html)
    assert sorted(map(int, frames)) == list(range(n_cells))


def test_draw_conv_step_shows_the_products_and_their_sum():
    image = np.array([[1, 2, 0], [3, -1, 4], [0, 5, 2]])
    kernel = np.array([[2, -1], [0, 1]])
    axes = utils.draw_conv_step(image, kernel, (1, 1))
    assert len(axes) == 3
    # the window image[1:3, 1:3] is [[-1, 4], [5, 2]]
    assert axes[0].figure.get_supxlabel() == ("feature map[1, 1] = -1×2 + 4×(-1) + 5×0 + 2×1 = -4")
    # by hand: [[1, 2], [3, -1]] -> 2 - 2 + 0 - 1, [[2, 0], [-1, 4]] -> 4 + 0 + 0 + 4,
    # [[3, -1], [0, 5]] -> 6 + 1 + 0 + 5
    assert [t.get_text() for t in axes[2].texts] == ["-1", "8", "12", "-4"]


def test_draw_conv_step_draws_on_given_axes_and_can_leave_out_the_sum():
    fig, axes = plt.subplots(1, 3)
    drawn = utils.draw_conv_step(
        np.ones((4, 4)), np.ones((3, 3)), (0, 1), axes=axes, show_sum=False
    )
    assert list(drawn) == list(axes)
    assert fig.get_supxlabel() == ""
    assert boxes(axes[0]) == [(0, 1, 3, 3)]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"image": np.ones((2, 4, 4))}, ValueError, "image must be a 2-D array"),
        ({"kernel": np.ones((3, 3, 1, 1))}, ValueError, "kernel must be a 2-D array"),
        ({"kernel": np.ones((6, 6))}, ValueError, "larger than the padded input"),
        ({"image": [["a"] * 4] * 4}, TypeError, "image must hold numbers"),
        ({"padding": "circular"}, ValueError, "padding must be an int, 'valid', 'same'"),
        ({"padding": -1}, ValueError, "padding must be >= 0"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"stride": 1.5}, TypeError, "stride must be an integer"),
        ({"interval": 0}, ValueError, "interval must be >= 1"),
        ({"max_frames": 3}, ValueError, "more than max_frames=3"),
    ],
)
def test_conv_animation_rejects_bad_input(kwargs, error, match):
    arguments = {"image": np.ones((4, 4)), "kernel": np.ones((2, 2))} | kwargs
    with pytest.raises(error, match=match):
        utils.conv_animation(**arguments)


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"position": (3, 0)}, ValueError, "position must index the 3x3 feature map"),
        ({"position": (0, -1)}, ValueError, "position"),
        ({"position": 0.5}, TypeError, "position must be an integer"),
        ({"axes": [None, None, None]}, TypeError, "axes must be three matplotlib Axes"),
        ({"kernel": np.ones((2, 2, 2))}, ValueError, "kernel must be a 2-D array"),
    ],
)
def test_draw_conv_step_rejects_bad_input(kwargs, error, match):
    arguments = {"image": np.ones((4, 4)), "kernel": np.ones((2, 2))} | kwargs
    with pytest.raises(error, match=match):
        utils.draw_conv_step(**arguments)


# animation_html


def test_animation_html_rejects_what_is_not_an_animation():
    with pytest.raises(TypeError, match="anim must be a matplotlib Animation"):
        utils.animation_html("<video>")


def test_animation_html_refuses_to_drop_frames_silently():
    anim = utils.conv_animation(np.arange(16).reshape(4, 4), np.ones((2, 2)))
    assert isinstance(anim, animation.FuncAnimation)
    with plt.rc_context({"animation.embed_limit": 0.02}):  # MB: room for a frame or two
        with pytest.raises(ValueError, match=r"only \d+ of 9 frames fit"):
            utils.animation_html(anim)


def test_animation_frames_have_twice_the_pixels_they_are_shown_with():
    anim = utils.conv_animation(np.arange(16).reshape(4, 4), np.ones((2, 2)))
    shown = round(anim._fig.get_figwidth() * anim._fig.dpi)
    html = utils.animation_html(anim).data
    assert f'<img style="width: {shown}px" id="_anim_img' in html
    first = re.search(r'frames\[0\] = "data:image/png;base64,([^"]*)"', html).group(1)
    png = base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", first))
    assert int.from_bytes(png[16:20], "big") == 2 * shown  # the PNG header's width


def test_signed_values_are_centred_on_zero_in_a_diverging_map():
    ax = utils.draw_grid(np.array([[-1, 0], [2, 3]]), cmap=utils.SIGNED_CMAP, centre=0)
    image = ax.images[0]
    assert image.get_clim() == (-3, 3)  # 0 in the middle colour, white
    assert to_hex(image.cmap(image.norm(0))) == to_hex(plt.get_cmap(utils.SIGNED_CMAP)(0.5))
    plt.close(ax.figure)
    # the kernel of every convolution step (and so of every animation frame) is drawn so
    axes = utils.draw_conv_step(np.arange(9).reshape(3, 3), np.array([[1, -2], [0, 1]]), (0, 0))
    kernel_image = axes[1].images[0]
    assert kernel_image.cmap.name.startswith(utils.SIGNED_CMAP)
    assert kernel_image.get_clim() == (-2, 2)
    plt.close(axes[0].figure)


# ----------------------------------------------------------------------------------------------
# The architecture diagram: it says what model.summary() says


def summary_lines(model) -> list[str]:
    printed = []
    model.summary(print_fn=lambda text, **_: printed.append(text))
    return "\n".join(printed).splitlines()


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_the_architecture_diagram_agrees_with_the_summary(padding):
    model = utils.build_seed_cnn(padding=padding)
    summary = summary_lines(model)
    blocks = utils.architecture_blocks(model)
    assert [b["name"] for b in blocks[1:]] == [layer.name for layer in model.layers]
    for block in blocks[1:]:
        row = next(line for line in summary if f"{block['name']} ({block['kind']})" in line)
        assert f"(None, {', '.join(str(n) for n in block['shape'])})" in row, row
        assert f"{block['params']:,}" in row, row
    ax = utils.draw_architecture(model)
    labels = [text.get_text() for text in ax.texts]
    for block in blocks:
        shape = "x".join(str(n) for n in block["shape"])
        assert any(block["name"] in label and shape in label for label in labels), block
    assert len(ax.patches) == len(blocks)
    plt.close(ax.figure)


# draw_conv_layer_step and conv_layer_animation: several channels, several filters


def tf_layer(image, bank, bias, stride, padding):
    """Reference: tf.nn.conv2d of an (H, W, C) image with a (kh, kw, C, K) bank, plus the bias."""
    pads = np_padding(image[:, :, 0], bank[:, :, 0, 0], stride, padding)
    result = tf.nn.conv2d(
        image[np.newaxis].astype("float64"),
        bank.astype("float64"),
        strides=stride,
        padding=[[0, 0], list(pads[0]), list(pads[1]), [0, 0]],
    )
    return result.numpy()[0] + bias


LAYER_GRID = [
    ((5, 5, 3), (3, 3), 2, 1, 2),  # the chapter's case: 3 channels, 2 filters, pad 1, stride 2
    ((4, 5, 2), (2, 3), 2, "same", 3),
    ((4, 4, 1), (2, 2), 1, "valid", 2),
    ((3, 3, 4), (3, 3), 1, 0, 1),
]


@pytest.mark.parametrize("shape,kernel_shape,stride,padding,filters", LAYER_GRID)
def test_conv_layer_animation_adds_the_channel_sums_and_the_bias_as_tensorflow_does(
    shape, kernel_shape, stride, padding, filters
):
    image = RNG.integers(0, 4, shape)
    channels = shape[2]
    bank = RNG.integers(-2, 3, (*kernel_shape, channels, filters))
    bias = RNG.integers(-2, 3, filters)
    expected = tf_layer(image, bank, bias, stride, padding)
    pads = np_padding(image[:, :, 0], bank[:, :, 0, 0], stride, padding)

    anim = utils.conv_layer_animation(image, bank, bias, stride, padding)
    cells = list(np.ndindex(expected.shape[:2]))
    assert len(list(anim.new_frame_seq())) == filters * len(cells)
    drawn = anim._fig.axes  # the inputs, the kernels, the maps, as made
    inputs, kernels, maps = drawn[:channels], drawn[channels : 2 * channels], drawn[2 * channels :]
    assert len(maps) == filters
    frame = 0
    for k in range(filters):
        for i, j in cells:
            anim._func(frame)
            frame += 1
            label = anim._fig.get_supxlabel()
            assert label.startswith(f"map {k}[{i}, {j}] = ")
            b = f"({bias[k]:g})" if bias[k] < 0 else f"{bias[k]:g}"
            assert label.endswith(f" + bias {b} = {expected[i, j, k]:g}")
            for c in range(channels):
                input_ax, kernel_ax = inputs[c], kernels[c]
                one_channel = tf_conv(image[:, :, c], bank[:, :, c, k], stride, padding)[i, j]
                assert kernel_ax.get_xlabel() == f"sum {one_channel:g}"
                np.testing.assert_array_equal(kernel_ax.images[0].get_array(), bank[:, :, c, k])
                np.testing.assert_array_equal(
                    input_ax.images[0].get_array(), np.pad(image[:, :, c], pads)
                )
                assert boxes(input_ax) == [(i * stride, j * stride, *kernel_shape)]
            map_ax = maps[k]
            assert boxes(map_ax) == [(i, j, 1, 1)]
            assert len(map_ax.texts) == i * expected.shape[1] + j + 1
            np.testing.assert_array_equal(map_ax.images[0].get_array(), expected[:, :, k])
    # at the last frame, every map is filled in with TensorFlow's values
    for k in range(filters):
        assert labels(maps[k]) == [f"{v:g}" for v in expected[:, :, k].ravel()]


def test_draw_conv_layer_step_fills_earlier_filters_and_leaves_later_ones_empty():
    image = np.arange(27).reshape(3, 3, 3) % 5
    bank = np.ones((2, 2, 3, 3))
    axes = utils.draw_conv_layer_step(image, bank, None, (1, (0, 1)))
    assert [len(axes[key]) for key in ("inputs", "kernels", "maps")] == [3, 3, 3]
    assert [len(ax.texts) for ax in axes["maps"]] == [4, 2, 0]
    window = image[0:2, 1:3]  # filter 1 at (0, 1), no padding, stride 1
    assert axes["maps"][0].figure.get_supxlabel() == (
        "map 1[0, 1] = "
        + " + ".join(f"{s:g}" for s in window.sum(axis=(0, 1)))
        + f" + bias 0 = {window.sum():g}"
    )


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"image": np.ones((4, 4))}, ValueError, r"image must be a numeric \(H, W, C\) array"),
        ({"bank": np.ones((2, 2))}, ValueError, r"bank must be a numeric \(kh, kw, C, K\) array"),
        ({"bank": np.ones((2, 2, 3, 2))}, ValueError, "kernels for 3 channels, the image has 2"),
        ({"bias": [1, 2, 3]}, ValueError, "one number per filter, 2"),
        ({"padding": "circular"}, ValueError, "padding must be an int, 'valid', 'same'"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"max_frames": 5}, ValueError, "8 output cells, one frame each, more than max_frames=5"),
    ],
)
def test_conv_layer_animation_rejects_bad_input(kwargs, error, match):
    arguments = {"image": np.ones((3, 3, 2)), "bank": np.ones((2, 2, 2, 2))} | kwargs
    with pytest.raises(error, match=match):
        utils.conv_layer_animation(**arguments)


def test_draw_conv_layer_step_rejects_a_step_outside_the_layer_and_wrong_axes():
    image, bank = np.ones((3, 3, 2)), np.ones((2, 2, 2, 2))
    with pytest.raises(ValueError, match="one of 2 filters and a cell of the 2x2 feature maps"):
        utils.draw_conv_layer_step(image, bank, None, (2, (0, 0)))
    with pytest.raises(ValueError, match="one of 2 filters"):
        utils.draw_conv_layer_step(image, bank, None, (0, (2, 0)))
    _, axes = plt.subplots(1, 3)
    wrong = {"inputs": list(axes[:2]), "kernels": list(axes[:2]), "maps": [axes[2]]}
    with pytest.raises(TypeError, match="2 inputs, 2 kernels and 2 maps"):
        utils.draw_conv_layer_step(image, bank, None, (0, (0, 0)), axes=wrong)
    with pytest.raises(TypeError, match="axes must be a dict"):
        utils.draw_conv_layer_step(image, bank, None, (0, (0, 0)), axes=axes)


def test_animation_html_frames_are_palette_pngs_close_to_the_drawing():
    from PIL import Image

    anim = utils.conv_animation(np.arange(9).reshape(3, 3), np.ones((2, 2)))
    anim._func(0)
    anim._fig.canvas.draw()
    drawn = np.asarray(anim._fig.canvas.buffer_rgba())[..., :3].astype(float)
    html = utils.animation_html(anim).data
    encoded = re.findall(r'frames\[0\] = "data:image/png;base64,([^"]+)"', html)[0]
    frame = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert frame.mode == "P" and len(frame.getcolors()) <= 256
    # the frame is rendered at twice the resolution: compare it, halved, with the drawing
    pixels = np.asarray(frame.convert("RGB").resize(drawn.shape[1::-1]), dtype=float)
    assert np.mean(np.abs(pixels - drawn)) < 8  # of 255: the same picture


def test_animation_html_gives_the_frames_their_alt_text_and_the_slider_a_name():
    anim = utils.conv_animation(np.arange(9).reshape(3, 3), np.ones((2, 2)))
    html = utils.animation_html(anim, alt='A 2x2 kernel of ones slides over "a" 3x3 image').data
    assert 'alt="A 2x2 kernel of ones slides over &quot;a&quot; 3x3 image"' in html
    assert 'class="anim-slider" aria-label="Frame"' in html
    bare = utils.animation_html(utils.conv_animation(np.ones((3, 3)), np.ones((2, 2)))).data
    assert " alt=" not in bare  # no alt text unless the caller writes one (a test of the book
    # fails on an animation without it)
    with pytest.raises(ValueError, match="alt must be a text"):
        utils.animation_html(utils.conv_animation(np.ones((3, 3)), np.ones((2, 2))), alt="  ")
