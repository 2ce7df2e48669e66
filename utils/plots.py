"""Figures and animations of grids of numbers (chapter 1; reused by chapters 2 to 4).

Every helper takes ``ax=None`` (a new figure is made when it is None), returns what it drew, and
never calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.patches import Rectangle

from .conv import conv2d, pad2d
from .shapes import same_padding


def draw_grid(
    values,
    ax=None,
    *,
    title: str | None = None,
    highlight=None,
    highlight_color: str = "tab:red",
    cmap: str = "Blues",
    vmin=None,
    vmax=None,
    fmt: str = "{:g}",
    show_values: bool = True,
    mask=None,
):
    """Draw a 2-D array as a grid of coloured cells labelled with their values.

    Parameters
    ----------
    values : (H, W) array
        The numbers to draw.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.
    title : str, optional
        Axes title.
    highlight : (row, col, height, width) or a list of them, optional
        Rectangles outlined on top of the grid (the current window, for instance).
    cmap, vmin, vmax
        Colour map and its range (defaults to the values' range).
    fmt : str
        Format of each cell's label.
    show_values : bool
        Write the values in the cells.
    mask : (H, W) bool array, optional
        Cells where ``mask`` is False are left blank (a feature map being filled in).

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array, got shape {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * values.shape[1] + 0.6, 0.45 * values.shape[0] + 0.6))
    shown = np.ma.masked_where(~mask, values) if mask is not None else values
    finite = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.floating) else values
    lo = finite.min() if vmin is None and finite.size else vmin
    hi = finite.max() if vmax is None and finite.size else vmax
    image = ax.imshow(shown, cmap=cmap, vmin=lo, vmax=hi)
    image.cmap.set_bad("white")
    rows, cols = values.shape
    ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
    ax.grid(which="minor", color="0.6", linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if show_values:
        cmap_obj = plt.get_cmap(cmap)
        span = (hi - lo) if hi is not None and lo is not None and hi != lo else 1
        for (r, c), v in np.ndenumerate(values):
            if mask is not None and not mask[r, c]:
                continue
            level = (v - lo) / span if lo is not None else 0
            dark = np.mean(cmap_obj(np.clip(level, 0, 1))[:3]) < 0.5
            ax.text(
                c,
                r,
                fmt.format(v),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    if highlight is not None:
        boxes = [highlight] if np.ndim(highlight) == 1 else highlight
        for r, c, h, w in boxes:
            ax.add_patch(
                Rectangle(
                    (c - 0.5, r - 0.5), w, h, fill=False, edgecolor=highlight_color, linewidth=2.5
                )
            )
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def _padding_pairs(image_shape, kernel_shape, stride, padding):
    """((top, bottom), (left, right)) for an int, 'valid' or 'same' padding."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return (
            same_padding(image_shape[0], kernel_shape[0], stride),
            same_padding(image_shape[1], kernel_shape[1], stride),
        )
    return (padding, padding), (padding, padding)


def conv_animation(image, kernel, stride: int = 1, padding=0, *, interval: int = 600):
    """Animate a kernel sliding over an image: input with the window, kernel, feature map.

    Parameters
    ----------
    image : (H, W) array
        A small single-channel input, drawn with its values.
    kernel : (kh, kw) array
        The kernel.
    stride : int
        Step of the window.
    padding : int, "valid" or "same"
        Zero padding; padded cells are drawn in grey.
    interval : int
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Show it in a notebook with :func:`animation_html` (plays in the static HTML book too).
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("conv_animation draws a 2-D image and a 2-D kernel")
    pads = _padding_pairs(image.shape, kernel.shape, stride, padding)
    padded = pad2d(image, pads)
    feature_map = conv2d(image, kernel, stride=stride, padding=pads)
    is_pad = np.ones(padded.shape, dtype=bool)
    is_pad[pads[0][0] : pads[0][0] + image.shape[0], pads[1][0] : pads[1][0] + image.shape[1]] = (
        False
    )
    kh, kw = kernel.shape
    positions = list(np.ndindex(feature_map.shape))

    widths = [padded.shape[1], kernel.shape[1], feature_map.shape[1]]
    height = max(padded.shape[0], kernel.shape[0], feature_map.shape[0])
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(0.42 * sum(widths) + 1.6, 0.42 * height + 0.9),
        gridspec_kw={"width_ratios": widths},
    )

    def draw(frame):
        i, j = positions[frame]
        for ax in axes:
            ax.clear()
        draw_grid(
            padded,
            axes[0],
            title="input" + (" (padded)" if is_pad.any() else ""),
            highlight=(i * stride, j * stride, kh, kw),
        )
        if is_pad.any():
            axes[0].imshow(
                np.ma.masked_where(~is_pad, is_pad), cmap="Greys", alpha=0.25, vmin=0, vmax=1.5
            )
        draw_grid(kernel, axes[1], title="kernel", cmap="Oranges")
        filled = np.zeros(feature_map.shape, dtype=bool)
        filled.flat[: frame + 1] = True
        draw_grid(
            feature_map,
            axes[2],
            title="feature map",
            cmap="Greens",
            mask=filled,
            vmin=feature_map.min(),
            vmax=feature_map.max(),
            highlight=(i, j, 1, 1),
        )
        return []

    draw(0)
    fig.tight_layout()
    anim = animation.FuncAnimation(fig, draw, frames=len(positions), interval=interval, blit=False)
    return anim


def animation_html(anim):
    """Return an animation as HTML with a player, and close its figure.

    The player is plain JavaScript embedded in the page, so it works in the published HTML book
    as well as in a live notebook. Show it with ``IPython.display.display`` or as a cell's last
    expression.
    """
    from IPython.display import HTML

    html = anim.to_jshtml(default_mode="loop")
    plt.close(anim._fig)
    return HTML(html)
