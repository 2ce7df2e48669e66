"""Figures and animations of grids of numbers (chapter 1; reused by chapters 2 to 4).

Every helper takes ``ax=None`` (or ``axes=None``; a new figure is made when it is None), returns
what it drew, and never calls ``plt.show()``.
"""

from __future__ import annotations

import base64
import html as html_module
import io
import numbers
import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from PIL import Image  # Pillow: a dependency of Matplotlib

from ._validate import check_int, check_pair
from .conv import conv2d, pad2d
from .shapes import same_padding

CELL_INCHES = 0.5
"""Side of one drawn cell, in inches (a 5x5 grid is 2.5 inches wide)."""

SUM_FONTSIZE = 11

MAX_ANIMATION_FRAMES = 100
"""Largest number of frames :func:`conv_animation` makes unless told otherwise (page size)."""


def _numeric_2d(name: str, values) -> np.ndarray:
    array = np.asarray(values)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (H, W), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    return array


def _bool_like(name: str, values, shape) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype != np.bool_:
        raise TypeError(f"{name} must be a boolean array, got dtype {array.dtype}")
    if array.shape != shape:
        raise ValueError(f"{name} must have the shape of values {shape}, got {array.shape}")
    return array


def _boxes(highlight) -> list[tuple[int, int, int, int]]:
    """``highlight`` as a list of ``(row, col, height, width)``, each checked."""
    if highlight is None:
        return []
    items = list(highlight) if isinstance(highlight, (tuple, list)) else None
    if items and all(isinstance(v, numbers.Integral) for v in items):
        items = [items]
    message = (
        "highlight must be (row, col, height, width) or a list of them, with integer row, col "
        f">= 0 and height, width >= 1, got {highlight!r}"
    )
    if not items or any(not isinstance(box, (tuple, list)) or len(box) != 4 for box in items):
        raise ValueError(message)
    boxes = []
    for box in items:
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in box):
            raise ValueError(message)
        r, c, h, w = (int(v) for v in box)
        if r < 0 or c < 0 or h < 1 or w < 1:
            raise ValueError(message)
        boxes.append((r, c, h, w))
    return boxes


def _label(value, fmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        value = value + 0.0  # -0.0 + 0.0 is 0.0: no "-0" labels
    return fmt.format(value)


SIGNED_CMAP = "RdBu_r"
"""Diverging colour map for signed values (kernels, edge responses): red above 0, white at 0,
blue below; readable with the common colour-vision deficiencies (red-blue, not red-green)."""

INPUT_CMAP = "Blues"
"""Sequential colour map of an input's values in a grid (light to dark as the value grows)."""

OUTPUT_CMAP = "Purples"
"""Sequential colour map of a result's values (feature maps, pooled maps) in a grid: told apart
from the input's blues, and from the red window outline even with red-green colour blindness,
which a green map is not (``tests/test_colours.py``)."""

HIGHLIGHT = "tab:red"
"""The outline of the window or cell being computed, on an input or a result grid."""

WINNER = "tab:orange"
"""The largest value of a max-pooling window, inside the red window."""

CATEGORY_COLOURS = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
"""Colours for telling a few things apart (lines, bars, windows, kinds of layer): Okabe and
Ito's palette, chosen to stay distinct with each kind of colour-vision deficiency. Take them in
order, ``CATEGORY_COLOURS[:n]``."""


def draw_grid(
    values,
    ax=None,
    *,
    title: str | None = None,
    highlight=None,
    highlight_color: str = HIGHLIGHT,
    cmap: str = INPUT_CMAP,
    vmin=None,
    vmax=None,
    centre: float | None = None,
    fmt: str = "{:g}",
    show_values: bool = True,
    mask=None,
    shade=None,
    fontsize: float = 10,
) -> Axes:
    """Draw a 2-D array as a grid of coloured cells labelled with their values.

    Parameters
    ----------
    values : (H, W) array
        The numbers to draw.
    ax : matplotlib Axes, optional
        Where to draw; a new figure of :data:`CELL_INCHES` per cell is made when None.
    title : str, optional
        Axes title.
    highlight : (row, col, height, width) or a list of them, optional
        Rectangles outlined on top of the grid (the current window, for instance).
    highlight_color : str
        Colour of those rectangles.
    cmap, vmin, vmax
        Colour map and its range (defaults to the values' range).
    centre : float, optional
        For signed values and a diverging map (``SIGNED_CMAP``): the value drawn in the map's
        middle colour (0 for kernels); the range, unless given, is then symmetric around it.
    fmt : str
        Format of each cell's label, such as ``"{:g}"`` or ``"{:.2f}"``.
    show_values : bool
        Write the values in the cells.
    mask : (H, W) bool array, optional
        Cells where ``mask`` is False are left blank (a feature map being filled in).
    shade : (H, W) bool array, optional
        Cells where ``shade`` is True are greyed (zero padding, for instance).
    fontsize : float
        Size of the labels, in points.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> ax = draw_grid(np.arange(6).reshape(2, 3), highlight=(0, 1, 2, 2))
    >>> ax.images[0].get_array().shape, len(ax.texts), len(ax.patches)
    ((2, 3), 6, 1)
    >>> plt.close(ax.figure)
    """
    values = _numeric_2d("values", values)
    if mask is not None:
        mask = _bool_like("mask", mask, values.shape)
    if shade is not None:
        shade = _bool_like("shade", shade, values.shape)
    boxes = _boxes(highlight)
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:g}}', got {fmt!r}")
    if ax is None:
        rows, cols = values.shape
        _, ax = plt.subplots(
            figsize=(CELL_INCHES * cols + 0.4, CELL_INCHES * rows + (0.7 if title else 0.4))
        )
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")

    numeric = values.astype(float)
    shown = np.ma.masked_where(~mask, numeric) if mask is not None else numeric
    finite = numeric[np.isfinite(numeric)]
    if centre is not None:
        reach = float(np.abs(finite - centre).max()) if finite.size else 1.0
        reach = reach or 1.0
        vmin = centre - reach if vmin is None else vmin
        vmax = centre + reach if vmax is None else vmax
    lo = (finite.min() if finite.size else 0.0) if vmin is None else vmin
    hi = (finite.max() if finite.size else 1.0) if vmax is None else vmax
    cmap_obj = plt.get_cmap(cmap).with_extremes(bad="white")
    ax.imshow(shown, cmap=cmap_obj, vmin=lo, vmax=hi)
    if shade is not None and shade.any():
        ax.imshow(
            np.ma.masked_where(~shade, np.ones(values.shape)),
            cmap="Greys",
            alpha=0.35,
            vmin=0,
            vmax=2,
        )
    rows, cols = values.shape
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(which="minor", color="0.6", linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if show_values:
        span = hi - lo if hi != lo else 1.0
        for (r, c), v in np.ndenumerate(values):
            if mask is not None and not mask[r, c]:
                continue
            level = (float(v) - lo) / span if np.isfinite(v) else 0.0
            dark = np.mean(cmap_obj(np.clip(level, 0, 1))[:3]) < 0.5
            ax.text(
                c,
                r,
                _label(v, fmt),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if dark else "black",
            )
    for r, c, h, w in boxes:
        ax.add_patch(
            Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor=highlight_color, linewidth=3)
        )
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return ax


def _padding_pairs(image_shape, kernel_shape, stride, padding):
    """((top, bottom), (left, right)) for an int, 'valid', 'same' or 'full' padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            return (
                same_padding(image_shape[0], kernel_shape[0], stride[0]),
                same_padding(image_shape[1], kernel_shape[1], stride[1]),
            )
        if padding == "full":
            return (kernel_shape[0] - 1,) * 2, (kernel_shape[1] - 1,) * 2
        raise ValueError(f"padding must be an int, 'valid', 'same' or 'full', got {padding!r}")
    p = check_int("padding", padding, 0)
    return (p, p), (p, p)


def _conv_setup(image, kernel, stride, padding):
    """Checked arrays, padding and feature map of one animated convolution."""
    image = _numeric_2d("image", image)
    kernel = _numeric_2d("kernel", kernel)
    stride = check_pair("stride", stride, 1)
    pads = _padding_pairs(image.shape, kernel.shape, stride, padding)
    padded = pad2d(image, pads)
    feature_map = conv2d(image, kernel, stride=stride, padding=pads)
    is_pad = np.ones(padded.shape, dtype=bool)
    (top, _), (left, _) = pads
    is_pad[top : top + image.shape[0], left : left + image.shape[1]] = False
    return image, kernel, stride, padded, is_pad, feature_map


def _sum_text(window, kernel, value, fmt: str) -> str:
    """``"w1×k1 + w2×k2 + ... = value"``, shortened for large kernels."""
    if kernel.size > 9:
        return f"sum of {kernel.size} products = {_label(value, fmt)}"
    terms = []
    for w, k in zip(window.ravel(), kernel.ravel(), strict=True):
        k_text = _label(k, fmt)
        terms.append(f"{_label(w, fmt)}×{f'({k_text})' if k_text.startswith('-') else k_text}")
    return " + ".join(terms) + f" = {_label(value, fmt)}"


def draw_conv_step(
    image,
    kernel,
    position=(0, 0),
    stride=1,
    padding=0,
    axes=None,
    *,
    fmt: str = "{:g}",
    show_sum: bool = True,
):
    """Draw one step of a convolution: the input with the window, the kernel, the feature map.

    The feature map is filled in up to ``position`` (in reading order), as if the kernel had
    visited every earlier position, and the cell being computed is outlined.

    Parameters
    ----------
    image : (H, W) array
        A small single-channel input, drawn with its values.
    kernel : (kh, kw) array
        The kernel.
    position : (row, col)
        The feature-map cell being computed.
    stride : int or (rows, cols)
        Step of the window (chapter 4).
    padding : int, "valid", "same" or "full"
        Zero padding (chapter 3); padded cells are greyed.
    axes : sequence of three matplotlib Axes, optional
        Where to draw the input, the kernel and the feature map; a new figure when None.
    fmt : str
        Format of the numbers.
    show_sum : bool
        Write the cell's computation (products of window and kernel, and their sum) at the bottom
        of the figure, as its ``supxlabel``.

    Returns
    -------
    list of three matplotlib Axes
        Input, kernel, feature map.

    Examples
    --------
    >>> axes = draw_conv_step(np.arange(16).reshape(4, 4), np.eye(2, dtype=int), (1, 2))
    >>> axes[0].figure.get_supxlabel()
    'feature map[1, 2] = 6×1 + 7×0 + 10×0 + 11×1 = 17'
    >>> plt.close(axes[0].figure)
    """
    image, kernel, stride, padded, is_pad, feature_map = _conv_setup(image, kernel, stride, padding)
    i, j = check_pair("position", position, 0)
    if i >= feature_map.shape[0] or j >= feature_map.shape[1]:
        raise ValueError(
            f"position must index the {feature_map.shape[0]}x{feature_map.shape[1]} feature "
            f"map, got {position!r}"
        )
    if axes is None:
        axes = _conv_figure(padded, kernel, feature_map, stride, fmt, show_sum)[1]
    else:
        axes = list(axes)
        if len(axes) != 3 or not all(isinstance(ax, Axes) for ax in axes):
            raise TypeError("axes must be three matplotlib Axes (input, kernel, feature map)")
    kh, kw = kernel.shape
    top, left = i * stride[0], j * stride[1]
    draw_grid(
        padded,
        axes[0],
        title="input" + (" (zero-padded)" if is_pad.any() else ""),
        highlight=(top, left, kh, kw),
        shade=is_pad,
        fmt=fmt,
    )
    draw_grid(kernel, axes[1], title="kernel", cmap=SIGNED_CMAP, centre=0, fmt=fmt)
    filled = np.zeros(feature_map.shape, dtype=bool)
    filled.flat[: i * feature_map.shape[1] + j + 1] = True
    draw_grid(
        feature_map,
        axes[2],
        title="feature map",
        cmap=OUTPUT_CMAP,
        mask=filled,
        highlight=(i, j, 1, 1),
        fmt=fmt,
    )
    if show_sum:
        axes[0].figure.supxlabel(
            _sum_label(padded, kernel, feature_map, stride, (i, j), fmt),
            fontsize=SUM_FONTSIZE,
            y=0.03,
            va="bottom",
        )
    return axes


def _sum_label(padded, kernel, feature_map, stride, position, fmt: str) -> str:
    """``"feature map[i, j] = w1×k1 + ... = value"`` for one cell."""
    i, j = position
    kh, kw = kernel.shape
    window = padded[i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw]
    return f"feature map[{i}, {j}] = " + _sum_text(window, kernel, feature_map[i, j], fmt)


def _conv_figure(padded, kernel, feature_map, stride, fmt, show_sum):
    """A figure of three Axes sized to the three grids, with room below for the sum."""
    widths = [padded.shape[1], kernel.shape[1], feature_map.shape[1]]
    height = max(padded.shape[0], kernel.shape[0], feature_map.shape[0])
    below = 0.5 if show_sum else 0.1
    fig_w = CELL_INCHES * sum(widths) + 1.4
    if show_sum:
        longest = max(
            len(_sum_label(padded, kernel, feature_map, stride, position, fmt))
            for position in np.ndindex(feature_map.shape)
        )
        fig_w = max(fig_w, 0.6 * SUM_FONTSIZE / 72 * longest + 0.4)
    fig_h = CELL_INCHES * height + 0.45 + below
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(fig_w, fig_h),
        gridspec_kw={
            "width_ratios": widths,
            "left": 0.2 / fig_w,
            "right": 1 - 0.2 / fig_w,
            "bottom": below / fig_h,
            "top": 1 - 0.45 / fig_h,
            "wspace": 0.5 / (CELL_INCHES * sum(widths) / 3),
        },
    )
    return fig, list(axes)


def conv_animation(
    image,
    kernel,
    stride=1,
    padding=0,
    *,
    interval: int = 800,
    fmt: str = "{:g}",
    show_sum: bool = True,
    max_frames: int = MAX_ANIMATION_FRAMES,
):
    """Animate a kernel sliding over an image: input with the window, kernel, feature map.

    One frame per feature-map cell, drawn with :func:`draw_conv_step`.

    Parameters
    ----------
    image : (H, W) array
        A small single-channel input, drawn with its values.
    kernel : (kh, kw) array
        The kernel.
    stride : int or (rows, cols)
        Step of the window.
    padding : int, "valid", "same" or "full"
        Zero padding; padded cells are greyed.
    interval : int
        Milliseconds between frames, ``>= 1``.
    fmt, show_sum
        As in :func:`draw_conv_step`.
    max_frames : int
        Refuse to make more frames than this (each frame is an image embedded in the page).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Show it in a notebook with :func:`animation_html` (plays in the static HTML book too).

    Examples
    --------
    >>> anim = conv_animation(np.arange(9).reshape(3, 3), np.ones((2, 2)))
    >>> html = animation_html(anim)  # in a notebook, the cell's last line: `animation_html(anim)`
    >>> html.data.count('"data:image/png')  # one frame per feature-map cell
    4
    """
    image, kernel, stride_pair, padded, _, feature_map = _conv_setup(image, kernel, stride, padding)
    interval = check_int("interval", interval, 1)
    max_frames = check_int("max_frames", max_frames, 1)
    positions = list(np.ndindex(feature_map.shape))
    if len(positions) > max_frames:
        raise ValueError(
            f"the feature map has {len(positions)} cells, one frame each, more than "
            f"max_frames={max_frames}: animate a smaller image or raise max_frames"
        )
    fig, axes = _conv_figure(padded, kernel, feature_map, stride_pair, fmt, show_sum)

    def draw(frame):
        for ax in axes:
            ax.clear()
        draw_conv_step(
            image,
            kernel,
            positions[frame],
            stride_pair,
            padding,
            axes,
            fmt=fmt,
            show_sum=show_sum,
        )
        return []

    draw(0)
    return animation.FuncAnimation(fig, draw, frames=len(positions), interval=interval)


def _layer_setup(image, bank, bias, stride, padding):
    """Checked arrays, padding and feature maps of one convolution layer (several channels)."""
    image = np.asarray(image)
    bank = np.asarray(bank)
    if image.ndim != 3 or not np.issubdtype(image.dtype, np.number):
        raise ValueError(f"image must be a numeric (H, W, C) array, got shape {image.shape}")
    if bank.ndim != 4 or not np.issubdtype(bank.dtype, np.number):
        raise ValueError(f"bank must be a numeric (kh, kw, C, K) array, got shape {bank.shape}")
    if bank.shape[2] != image.shape[2]:
        raise ValueError(
            f"the bank has kernels for {bank.shape[2]} channels, the image has {image.shape[2]}"
        )
    bias = np.zeros(bank.shape[3]) if bias is None else np.asarray(bias, dtype=float)
    if bias.shape != (bank.shape[3],):
        raise ValueError(f"bias must hold one number per filter, {bank.shape[3]}, got {bias.shape}")
    stride = check_pair("stride", stride, 1)
    pads = _padding_pairs(image.shape[:2], bank.shape[:2], stride, padding)
    padded = np.stack([pad2d(image[:, :, c], pads) for c in range(image.shape[2])], axis=-1)
    maps = conv2d(image, bank, bias, stride=stride, padding=pads)
    is_pad = np.ones(padded.shape[:2], dtype=bool)
    (top, _), (left, _) = pads
    is_pad[top : top + image.shape[0], left : left + image.shape[1]] = False
    return image, bank, bias, stride, padded, is_pad, maps


def _channel_sums(padded, bank, stride, k, position) -> np.ndarray:
    """What each channel's kernel of filter ``k`` gives at ``position``, one number per channel."""
    i, j = position
    kh, kw = bank.shape[:2]
    window = padded[i * stride[0] : i * stride[0] + kh, j * stride[1] : j * stride[1] + kw]
    return (window * bank[:, :, :, k]).sum(axis=(0, 1))


def _layer_sum_label(sums, bias, value, k, position, fmt) -> str:
    terms = " + ".join(f"({_label(s, fmt)})" if s < 0 else _label(s, fmt) for s in sums)
    b = f"({_label(bias, fmt)})" if bias < 0 else _label(bias, fmt)
    return f"map {k}[{position[0]}, {position[1]}] = {terms} + bias {b} = {_label(value, fmt)}"


def _layer_figure(padded, bank, maps):
    """Axes for :func:`draw_conv_layer_step`: inputs on top, kernels below, maps on the right."""
    channels, filters = padded.shape[2], bank.shape[3]
    cell = 0.28  # inches per grid cell: three channels side by side fit a page
    wide = channels * padded.shape[1] + maps.shape[1]
    fig_w = cell * wide + 0.6 * (channels + 1) + 0.4
    tall = max(padded.shape[0] + bank.shape[0], filters * maps.shape[0])
    fig_h = cell * tall + 2.2
    fig = plt.figure(figsize=(fig_w, fig_h))
    grid = fig.add_gridspec(
        2,
        channels + 1,
        width_ratios=[padded.shape[1]] * channels + [maps.shape[1]],
        height_ratios=[padded.shape[0], bank.shape[0]],
        left=0.2 / fig_w,
        right=1 - 0.2 / fig_w,
        top=1 - 0.4 / fig_h,
        bottom=0.8 / fig_h,
        hspace=0.9 / (cell * tall / 2),
    )
    inputs = [fig.add_subplot(grid[0, c]) for c in range(channels)]
    kernels = [fig.add_subplot(grid[1, c]) for c in range(channels)]
    column = grid[:, channels].subgridspec(filters, 1, hspace=0.9 / (cell * maps.shape[0]))
    maps_axes = [fig.add_subplot(column[k, 0]) for k in range(filters)]
    return {"inputs": inputs, "kernels": kernels, "maps": maps_axes}


def draw_conv_layer_step(
    image,
    bank,
    bias=None,
    step=(0, (0, 0)),
    stride=1,
    padding=0,
    axes=None,
    *,
    fmt: str = "{:g}",
):
    """Draw one step of a convolution layer over several channels, with several filters.

    The top row shows the input channels (zero-padded cells greyed) with the window; below each,
    the kernel that filter ``k`` applies to that channel, labelled with the sum of their
    products; on the right, the feature maps, filled in up to the current cell. The figure's
    bottom line adds it up: the channel sums plus the filter's bias give the feature-map value.

    Parameters
    ----------
    image : (H, W, C) array
        A small input with ``C`` channels.
    bank : (kh, kw, C, K) array
        ``K`` filters, Keras' layout for ``Conv2D`` weights.
    bias : None or (K,) array
        One bias per filter (zeros when None).
    step : (k, (row, col))
        The filter and the feature-map cell being computed; earlier filters' maps are full.
    stride, padding
        As in :func:`draw_conv_step`.
    axes : dict, optional
        ``{"inputs": C Axes, "kernels": C Axes, "maps": K Axes}``; a new figure when None.
    fmt : str
        Format of the numbers.

    Returns
    -------
    dict
        ``{"inputs": [...], "kernels": [...], "maps": [...]}``, lists of matplotlib Axes.

    Examples
    --------
    >>> image = np.arange(18).reshape(3, 3, 2) % 4
    >>> bank = np.ones((2, 2, 2, 1))
    >>> axes = draw_conv_layer_step(image, bank, [1], (0, (1, 0)))
    >>> axes["maps"][0].figure.get_supxlabel()
    'map 0[1, 0] = 4 + 8 + bias 1 = 13'
    >>> plt.close(axes["maps"][0].figure)
    """
    image, bank, bias, stride, padded, is_pad, maps = _layer_setup(
        image, bank, bias, stride, padding
    )
    k, position = step
    k = check_int("filter", k, 0)
    i, j = check_pair("position", position, 0)
    if k >= bank.shape[3] or i >= maps.shape[0] or j >= maps.shape[1]:
        raise ValueError(
            f"step must name one of {bank.shape[3]} filters and a cell of the "
            f"{maps.shape[0]}x{maps.shape[1]} feature maps, got {step!r}"
        )
    channels, filters = image.shape[2], bank.shape[3]
    if axes is None:
        axes = _layer_figure(padded, bank, maps)
    sizes = {"inputs": channels, "kernels": channels, "maps": filters}
    if (
        not isinstance(axes, dict)
        or {key: len(axes.get(key, ())) for key in sizes} != sizes
        or not all(isinstance(ax, Axes) for key in sizes for ax in axes[key])
    ):
        raise TypeError(
            f"axes must be a dict of matplotlib Axes: {channels} inputs, {channels} kernels and "
            f"{filters} maps"
        )
    kh, kw = bank.shape[:2]
    sums = _channel_sums(padded, bank, stride, k, (i, j))
    limit = np.abs(bank).max() or 1
    for c in range(channels):
        draw_grid(
            padded[:, :, c],
            axes["inputs"][c],
            title=f"input channel {c}",
            highlight=(i * stride[0], j * stride[1], kh, kw),
            shade=is_pad,
            fmt=fmt,
        )
        kernel_ax = axes["kernels"][c]
        draw_grid(
            bank[:, :, c, k],
            kernel_ax,
            title=f"filter {k}, channel {c}",
            cmap=SIGNED_CMAP,
            vmin=-limit,
            vmax=limit,
            fmt=fmt,
        )
        kernel_ax.set_axis_on()
        kernel_ax.set_xticks([])
        kernel_ax.set_yticks([])
        kernel_ax.set_xlabel(f"sum {_label(sums[c], fmt)}", fontsize=SUM_FONTSIZE)
    for m in range(filters):
        filled = np.zeros(maps.shape[:2], dtype=bool)
        if m < k:
            filled[:] = True
        elif m == k:
            filled.flat[: i * maps.shape[1] + j + 1] = True
        draw_grid(
            maps[:, :, m],
            axes["maps"][m],
            title=f"map {m}, bias {_label(bias[m], fmt)}",
            cmap=OUTPUT_CMAP,
            vmin=maps.min(),
            vmax=maps.max(),
            mask=filled,
            highlight=(i, j, 1, 1) if m == k else None,
            fmt=fmt,
        )
    axes["maps"][0].figure.supxlabel(
        _layer_sum_label(sums, bias[k], maps[i, j, k], k, (i, j), fmt), fontsize=SUM_FONTSIZE
    )
    return axes


def conv_layer_animation(
    image,
    bank,
    bias=None,
    stride=1,
    padding=0,
    *,
    interval: int = 900,
    fmt: str = "{:g}",
    max_frames: int = MAX_ANIMATION_FRAMES,
):
    """Animate a convolution layer: every filter over every channel, one output cell per frame.

    The frames run through filter 0's feature map in reading order, then filter 1's, and so on;
    each is drawn with :func:`draw_conv_layer_step`, so each shows how the channel sums and the
    bias make one value of the output.

    Parameters
    ----------
    image, bank, bias, stride, padding, fmt
        As in :func:`draw_conv_layer_step`.
    interval : int
        Milliseconds between frames, ``>= 1``.
    max_frames : int
        Refuse to make more frames than this.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Show it with :func:`animation_html`.

    Examples
    --------
    >>> anim = conv_layer_animation(np.ones((3, 3, 2)), np.ones((2, 2, 2, 2)))
    >>> animation_html(anim).data.count('"data:image/png')  # 2 filters x 4 cells
    8
    """
    image, bank, bias, stride, _, _, maps = _layer_setup(image, bank, bias, stride, padding)
    interval = check_int("interval", interval, 1)
    max_frames = check_int("max_frames", max_frames, 1)
    steps = [(k, position) for k in range(bank.shape[3]) for position in np.ndindex(maps.shape[:2])]
    if len(steps) > max_frames:
        raise ValueError(
            f"the layer has {len(steps)} output cells, one frame each, more than "
            f"max_frames={max_frames}: animate a smaller image or fewer filters"
        )
    axes = draw_conv_layer_step(image, bank, bias, steps[0], stride, padding, fmt=fmt)

    def draw(frame):
        for ax in (ax for group in axes.values() for ax in group):
            ax.clear()
        draw_conv_layer_step(image, bank, bias, steps[frame], stride, padding, axes, fmt=fmt)
        return []

    return animation.FuncAnimation(
        axes["maps"][0].figure, draw, frames=len(steps), interval=interval
    )


# A frame of Matplotlib's HTML player: a base64 PNG, its lines joined by backslash-newlines.
_FRAME = re.compile(r'"data:image/png;base64,([A-Za-z0-9+/=\\\n]+)"')


def _palette_png(encoded: str) -> str:
    """A base64 PNG frame again, with at most 256 colours: a third of the bytes for a diagram."""
    raw = base64.b64decode(encoded.replace("\\\n", ""))
    with Image.open(io.BytesIO(raw)) as image:
        palette = image.convert("RGB").quantize(256, dither=0)  # 0: no dithering
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def animation_html(anim, alt: str | None = None):
    """Return an animation as HTML with a player, and close its figure.

    The frames are embedded as images and the player is plain JavaScript, so it works in the
    published HTML book as well as in a live notebook. Show it with ``IPython.display.display``
    or as a cell's last expression.

    Parameters
    ----------
    anim : matplotlib.animation.Animation
        Such as :func:`conv_animation` returns.
    alt : str, optional
        The text alternative of the animation, for readers who cannot see it: what it shows and
        what to notice. It becomes the frames' ``alt`` text; every animation of the book has one.

    Returns
    -------
    IPython.display.HTML

    Raises
    ------
    ValueError
        If frames were left out because the animation is larger than Matplotlib's
        ``animation.embed_limit`` (use fewer frames or a smaller figure).
    """
    from IPython.display import HTML

    if not isinstance(anim, animation.Animation):
        raise TypeError(f"anim must be a matplotlib Animation, got {type(anim).__name__}")
    figure = anim._fig
    # Frames with twice the pixels, shown at the figure's size: sharp on high-density screens.
    width = round(figure.get_figwidth() * figure.dpi)
    with plt.rc_context({"savefig.dpi": 2 * figure.dpi}):
        html = anim.to_jshtml(default_mode="loop")
    if alt is not None and not (isinstance(alt, str) and alt.strip()):
        raise ValueError("alt must be a text that says what the animation shows")
    described = f' alt="{html_module.escape(alt.strip())}"' if alt else ""
    html = html.replace(
        '<img id="_anim_img', f'<img style="width: {width}px"{described} id="_anim_img', 1
    )
    # The slider gets a name that screen readers announce (the buttons have theirs).
    html = html.replace('class="anim-slider"', 'class="anim-slider" aria-label="Frame"', 1)
    html = _FRAME.sub(lambda match: f'"data:image/png;base64,{_palette_png(match[1])}"', html)
    plt.close(figure)
    expected = getattr(anim, "_save_count", None)
    embedded = html.count('"data:image/')
    if expected is not None and embedded < expected:
        raise ValueError(
            f"only {embedded} of {expected} frames fit under animation.embed_limit "
            f"({plt.rcParams['animation.embed_limit']} MB): use fewer frames or a smaller figure"
        )
    return HTML(html)


def pool_animation(
    feature_map,
    pool_size=2,
    stride=None,
    mode: str = "max",
    *,
    interval: int = 800,
    fmt: str | None = None,
    max_frames: int = MAX_ANIMATION_FRAMES,
):
    """Animate a pooling window sliding over a feature map (chapter 2).

    Left, the feature map with the current window outlined in red (and, for max pooling, the
    winning cell outlined in orange); right, the pooled map filling in one cell per frame.

    Parameters
    ----------
    feature_map : (H, W) array
        A small single-channel feature map, drawn with its values.
    pool_size : int or (rows, cols)
        Window size, ``>= 1``.
    stride : None, int or (rows, cols)
        Step of the window; ``None`` means ``pool_size``, as in Keras.
    mode : {"max", "average"}
        Max or average pooling.
    interval : int
        Milliseconds between frames, ``>= 1``.
    fmt : str, optional
        Format of the numbers; ``"{:g}"`` for max pooling and ``"{:.3g}"`` for average pooling
        when None.
    max_frames : int
        Refuse to make more frames than this (each frame is an image embedded in the page).

    Returns
    -------
    matplotlib.animation.FuncAnimation
        One frame per cell of the pooled map. Show it with :func:`animation_html`.

    Examples
    --------
    >>> anim = pool_animation(np.arange(16).reshape(4, 4), pool_size=2)
    >>> html = animation_html(anim)  # in a notebook, the cell's last line: `animation_html(anim)`
    >>> html.data.count('"data:image/png')  # one frame per pooled cell
    4
    """
    from .pooling import avg_pool2d, max_pool2d

    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    feature_map = _numeric_2d("feature_map", feature_map)
    pool = max_pool2d if mode == "max" else avg_pool2d
    pooled = pool(feature_map, pool_size, stride)  # checks pool_size and stride
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    interval = check_int("interval", interval, 1)
    max_frames = check_int("max_frames", max_frames, 1)
    if fmt is None:
        fmt = "{:g}" if mode == "max" else "{:.3g}"
    positions = list(np.ndindex(pooled.shape))
    if len(positions) > max_frames:
        raise ValueError(
            f"the pooled map has {len(positions)} cells, one frame each, more than "
            f"max_frames={max_frames}: animate a smaller feature map or raise max_frames"
        )

    widths = [feature_map.shape[1], pooled.shape[1]]
    height = max(feature_map.shape[0], pooled.shape[0])
    fig_w = CELL_INCHES * sum(widths) + 1.2
    fig_h = CELL_INCHES * height + 0.6
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(fig_w, fig_h),
        gridspec_kw={
            "width_ratios": widths,
            "left": 0.2 / fig_w,
            "right": 1 - 0.2 / fig_w,
            "bottom": 0.1 / fig_h,
            "top": 1 - 0.45 / fig_h,
            "wspace": 0.8 / (CELL_INCHES * sum(widths) / 2),
        },
    )

    def draw(frame):
        i, j = positions[frame]
        top, left = i * sh, j * sw
        for ax in axes:
            ax.clear()
        draw_grid(feature_map, axes[0], title="feature map", highlight=(top, left, ph, pw), fmt=fmt)
        if mode == "max":
            window = feature_map[top : top + ph, left : left + pw]
            r, c = np.unravel_index(np.argmax(window), window.shape)
            axes[0].add_patch(
                Rectangle(
                    (left + c - 0.36, top + r - 0.36),
                    0.72,
                    0.72,
                    fill=False,
                    edgecolor=WINNER,
                    linewidth=2.5,
                )
            )
        filled = np.zeros(pooled.shape, dtype=bool)
        filled.flat[: frame + 1] = True
        draw_grid(
            pooled,
            axes[1],
            title=f"{mode} pooled",
            cmap=OUTPUT_CMAP,
            mask=filled,
            highlight=(i, j, 1, 1),
            fmt=fmt,
        )
        return []

    draw(0)
    return animation.FuncAnimation(fig, draw, frames=len(positions), interval=interval)


_BLOCK_COLOURS = {
    "Conv2D": CATEGORY_COLOURS[0],
    "MaxPooling2D": CATEGORY_COLOURS[1],
    "AveragePooling2D": CATEGORY_COLOURS[1],
    "Flatten": "#8c8c8c",
    "Dense": CATEGORY_COLOURS[2],
    "Dropout": "#c7c7c7",
    "Input": "#dddddd",
}


def _shape_text(shape) -> str:
    return "x".join(str(n) for n in shape)


def architecture_blocks(model) -> list[dict]:
    """What :func:`draw_architecture` draws: one dict per layer of ``model``, from its input.

    Each has ``name``, ``kind`` (the Keras class name), ``shape`` (the output shape without the
    batch axis, read from the model itself) and ``params`` (``count_params()``).
    """
    blocks = [
        {"name": "input", "kind": "Input", "shape": tuple(model.input_shape[1:]), "params": 0}
    ]
    for layer in model.layers:
        blocks.append(
            {
                "name": layer.name,
                "kind": type(layer).__name__,
                "shape": tuple(layer.output.shape[1:]),
                "params": layer.count_params(),
            }
        )
    return blocks


def draw_architecture(model, ax: Axes | None = None) -> Axes:
    """Draw a Keras model as a row of blocks, one per layer, with its output shape (chapter 5).

    A block's height follows its layer's spatial size (or, for a flat layer, its number of
    values, on a log scale), its width the number of channels (log scale), its colour the kind
    of layer; under it, the layer's name, kind, output shape and parameter count. Everything is
    read from the model (``layer.output.shape``, ``count_params()``), so the drawing says what
    ``model.summary()`` says.

    Parameters
    ----------
    model : keras.Model
        A built model whose layers run one after the other (such as ``keras.Sequential``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    blocks = architecture_blocks(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.05 * len(blocks), 3.4))
    spatial = [b["shape"][0] for b in blocks if len(b["shape"]) == 3]
    largest = max(spatial) if spatial else 1
    flat = [int(np.prod(b["shape"])) for b in blocks if len(b["shape"]) == 1]
    most = max(flat) if flat else 1
    x = 0.0
    centres = []
    for block in blocks:
        shape = block["shape"]
        if len(shape) == 3:
            height = 0.5 + 2.0 * shape[0] / largest
            width = 0.15 + 0.12 * np.log2(max(shape[2], 1))
        else:
            height = 0.5 + 2.0 * np.log(max(shape[0], 1) + 1) / np.log(most + 1)
            width = 0.15
        colour = _BLOCK_COLOURS.get(
            block["kind"], "#dddddd" if block["kind"] == "Input" else CATEGORY_COLOURS[4]
        )
        ax.add_patch(
            Rectangle((x, -height / 2), width, height, facecolor=colour, edgecolor="black", lw=0.8)
        )
        centre = x + width / 2
        params = f"\n{block['params']:,} params" if block["params"] else ""
        ax.text(
            centre,
            -1.35,
            f"{block['name']}\n{block['kind']}\n{_shape_text(shape)}{params}",
            ha="center",
            va="top",
            fontsize=9,
        )
        if centres:
            ax.annotate(
                "",
                xy=(x - 0.05, 0),
                xytext=(centres[-1][1] + 0.05, 0),
                arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.8},
            )
        centres.append((centre, x + width))
        x += width + 0.9
    ax.set_xlim(-0.45, x - 0.45)
    ax.set_ylim(-2.6, 1.6)
    ax.set_axis_off()
    return ax
