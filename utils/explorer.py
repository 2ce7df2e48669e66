"""Where a window lands along one axis, and an explorer of the output-size formula (chapter 4).

Along one axis a convolution or pooling window of ``f`` taps, ``d`` pixels apart, starts at
``0, s, 2s, ...`` in the padded input (``n + 2p`` pixels) for as long as it fits. Counting those
starts gives :func:`utils.output_size`; the input pixels that no tap ever lands on are
:func:`unused_pixels`. :func:`draw_output_size` draws both, :func:`output_size_explorer` puts the
drawing under sliders (in a running notebook), and :func:`output_size_animation` sweeps a few
settings for the static HTML book.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from importlib.resources import files

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.patches import Rectangle

from ._validate import check_int
from .shapes import output_size

#: Slider ranges of :func:`output_size_explorer`: name -> (minimum, maximum).
EXPLORER_RANGES = {"n": (1, 16), "f": (1, 7), "p": (0, 3), "s": (1, 5), "d": (1, 3)}


def window_starts(n: int, f: int, p: int = 0, s: int = 1, d: int = 1) -> list[int]:
    """Start of every window position along one axis, counted in the padded input.

    Parameters
    ----------
    n, f, p, s, d : int
        Input size, kernel size, padding on each side, stride and dilation, as in
        :func:`utils.output_size`.

    Returns
    -------
    list of int
        ``[0, s, 2s, ...]``, every start with ``start + d(f - 1) + 1 <= n + 2p``; its length is
        ``output_size(n, f, p, s, d)``. Index 0 is the first padded pixel, so input pixel ``i``
        sits at ``i + p``.

    Examples
    --------
    >>> window_starts(7, 3, s=2)
    [0, 2, 4]
    >>> window_starts(7, 3, s=3)
    [0, 3]
    """
    count = output_size(n, f, p, s, d)  # validates the arguments
    return [k * s for k in range(count)]


def unused_pixels(n: int, f: int, p: int = 0, s: int = 1, d: int = 1) -> np.ndarray:
    """Which input pixels along one axis no tap of any window position ever reads.

    Parameters
    ----------
    n, f, p, s, d : int
        As in :func:`utils.output_size`.

    Returns
    -------
    (n,) bool array
        True for an unused input pixel. Unused pixels appear at the end when the window does not
        fit evenly (``(n + 2p - d(f - 1) - 1) % s > p``), between windows when ``s > d(f - 1) + 1``,
        and between the taps of a dilated kernel when ``d > 1``. In 2-D, pixel ``(i, j)`` is
        unused when row ``i`` or column ``j`` is.

    Examples
    --------
    >>> unused_pixels(7, 3, s=3)
    array([False, False, False, False, False, False,  True])
    """
    used = np.zeros(n + 2 * p, dtype=bool)
    for start in window_starts(n, f, p, s, d):
        used[start : start + d * (f - 1) + 1 : d] = True
    return ~used[p : p + n]


def _formula(n: int, f: int, p: int, s: int, d: int) -> str:
    """The output-size formula with the numbers filled in, as matplotlib mathtext."""
    span = f"({d}({f} - 1) + 1)" if d > 1 else f"{f}"
    return (
        rf"$\lfloor ({n} + 2 \cdot {p} - {span}) / {s} \rfloor + 1 = {output_size(n, f, p, s, d)}$"
    )


def describe_output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1) -> str:
    """One line of text: the setting, its output size and its unused input pixels.

    Examples
    --------
    >>> describe_output_size(7, 3, s=3)
    'n=7, f=3, p=0, s=3, d=1: output size 2; unused input pixels: 6'
    """
    size = output_size(n, f, p, s, d)
    unused = np.flatnonzero(unused_pixels(n, f, p, s, d))
    listed = ", ".join(str(i) for i in unused) if unused.size else "none"
    return f"n={n}, f={f}, p={p}, s={s}, d={d}: output size {size}; unused input pixels: {listed}"


CELL_INCHES = 0.55
TITLE_INCHES = 0.7


def _new_axes(width: int, rows: int):
    """A figure sized for :func:`draw_output_size` over ``width`` cells and ``rows`` windows."""
    axes_w = CELL_INCHES * (width + 2.4)
    axes_h = CELL_INCHES * (2.0 + 0.8 * rows)
    fig_w, fig_h = max(axes_w, 3.6), axes_h + TITLE_INCHES
    fig = plt.figure(figsize=(fig_w, fig_h))
    return fig.add_axes((0.0, 0.0, 1.0, axes_h / fig_h))


def draw_output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1, ax=None):
    """Draw every window position along one axis over the padded input.

    The top row is the padded input: padding in grey, input pixels numbered from 0, unused input
    pixels in red. Below it, one row per window position (one per output pixel): the window's
    span outlined and its taps filled. The title is the output-size formula with the numbers.

    Parameters
    ----------
    n, f, p, s, d : int
        As in :func:`utils.output_size`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when None.

    Returns
    -------
    matplotlib Axes
    """
    starts = window_starts(n, f, p, s, d)
    unused = unused_pixels(n, f, p, s, d)
    if ax is None:
        ax = _new_axes(n + 2 * p, len(starts))
    span = d * (f - 1) + 1
    for x in range(n + 2 * p):
        i = x - p
        if 0 <= i < n:
            colour, label = ("tab:red", str(i)) if unused[i] else ("white", str(i))
        else:
            colour, label = "0.8", "pad"
        ax.add_patch(Rectangle((x, 0), 1, 1, facecolor=colour, edgecolor="0.3", alpha=0.9))
        ax.text(x + 0.5, 0.5, label, ha="center", va="center", fontsize=10 if 0 <= i < n else 8)
    for k, start in enumerate(starts):
        y = -1.0 - 0.8 * k
        ax.add_patch(
            Rectangle((start, y), span, 0.6, fill=False, edgecolor="tab:blue", linewidth=1.2)
        )
        for tap in range(start, start + span, d):
            ax.add_patch(Rectangle((tap + 0.15, y + 0.1), 0.7, 0.4, facecolor="tab:blue"))
        ax.text(-0.3, y + 0.3, f"out {k}", ha="right", va="center", fontsize=10)
    ax.text(-0.3, 0.5, "input", ha="right", va="center", fontsize=10)
    ax.set_xlim(-2.2, n + 2 * p + 0.2)
    ax.set_ylim(-1.0 - 0.8 * len(starts) + 0.1, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"n={n}, f={f}, p={p}, s={s}, d={d}\n" + _formula(n, f, p, s, d), fontsize=11)
    return ax


def _png(n: int, f: int, p: int, s: int, d: int) -> bytes:
    ax = draw_output_size(n, f, p, s, d)
    fig = ax.figure
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def output_size_explorer(n: int = 7, f: int = 3, p: int = 0, s: int = 3, d: int = 1):
    """Sliders for ``n, f, p, s, d`` over :func:`draw_output_size` (needs a running kernel).

    The drawing is an image widget updated when a slider moves, so nothing is printed into the
    notebook's outputs. In the static HTML book only the widget's text form shows (the current
    setting and its output size); pair it with :func:`output_size_animation` there.

    Parameters
    ----------
    n, f, p, s, d : int
        Starting values, within :data:`EXPLORER_RANGES`.

    Returns
    -------
    ipywidgets.VBox
        Display it as a cell's last expression. Its ``sliders`` attribute maps each name to its
        slider, and its text form is :func:`describe_output_size` of the current setting.
    """
    import ipywidgets as widgets

    start = {"n": n, "f": f, "p": p, "s": s, "d": d}
    for name, value in start.items():
        low, high = EXPLORER_RANGES[name]
        check_int(name, value, low)
        if value > high:
            raise ValueError(f"{name} must be <= {high} in the explorer, got {value}")
    output_size(n, f, p, s, d)  # the starting setting must be valid

    class OutputSizeExplorer(widgets.VBox):
        def setting(self) -> dict:
            return {name: slider.value for name, slider in self.sliders.items()}

        def __repr__(self) -> str:
            try:
                return describe_output_size(**self.setting())
            except ValueError as error:
                return str(error)

    sliders = {
        name: widgets.IntSlider(
            value=value,
            min=EXPLORER_RANGES[name][0],
            max=EXPLORER_RANGES[name][1],
            description=name,
            continuous_update=False,
        )
        for name, value in start.items()
    }
    text = widgets.HTML()
    picture = widgets.Image(format="png")
    explorer = OutputSizeExplorer([widgets.HBox(list(sliders.values())), text, picture])
    explorer.sliders = sliders

    def update(_=None) -> None:
        setting = explorer.setting()
        try:
            text.value = f"<code>{describe_output_size(**setting)}</code>"
            picture.value = _png(**setting)
        except ValueError as error:
            text.value = f"<code>{error}: no window position fits</code>"
            picture.value = b""

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    return explorer


def output_size_animation(settings, *, interval: int = 1500):
    """Animate :func:`draw_output_size` over a list of settings, for the static HTML book.

    Parameters
    ----------
    settings : sequence of (n, f, p, s) or (n, f, p, s, d) tuples
        One frame each.
    interval : int
        Milliseconds between frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Show it with :func:`utils.animation_html`.
    """
    frames = []
    for setting in settings:
        if len(setting) not in (4, 5):
            raise ValueError(
                f"each setting must be (n, f, p, s) or (n, f, p, s, d), got {setting!r}"
            )
        frames.append(tuple(setting) + (1,) * (5 - len(setting)))
    if not frames:
        raise ValueError("settings must hold at least one (n, f, p, s[, d]) tuple")
    sizes = [output_size(*frame) for frame in frames]  # validates every frame
    width = max(n + 2 * p for n, _, p, _, _ in frames)
    ax = _new_axes(width, max(sizes))
    fig = ax.figure

    def draw(index):
        ax.clear()
        draw_output_size(*frames[index], ax=ax)
        ax.set_xlim(-2.2, width + 0.2)
        ax.set_ylim(-1.0 - 0.8 * max(sizes) + 0.1, 1.1)
        return []

    draw(0)
    return animation.FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)


# The explorer in the page: no kernel needed (the HTML book, Jupyter and Colab alike).

#: Control ranges of :func:`geometry_explorer`: name -> (minimum, maximum).
GEOMETRY_RANGES = {"n": (1, 16), "f": (1, 7), "s": (1, 5)}
#: Paddings :func:`geometry_explorer` offers: Keras' two names, or pixels on every side.
GEOMETRY_PADDINGS = ("valid", "same", 0, 1, 2, 3)

_GEOMETRY_STYLE = """<style>
.cnn-geometry { border: 1px solid rgba(127, 127, 127, 0.5); border-radius: 6px;
  padding: 0.6em 0.9em; margin: 0.8em 0; max-width: 48em; }
.cnn-geometry-controls { display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; align-items: center; }
.cnn-geometry-controls label { display: inline-flex; gap: 0.4em; align-items: center; }
.cnn-geometry-controls input[type=range] { width: 7em; }
.cnn-geometry-controls output { min-width: 1.5em; font-variant-numeric: tabular-nums; }
.cnn-geometry button { padding: 0.1em 0.6em; cursor: pointer; }
.cnn-geometry p { margin: 0.4em 0; }
.cnn-geometry-picture { overflow-x: auto; background: #fff; padding: 4px; border-radius: 4px;
  max-width: 100%; }
.cnn-geometry-picture svg { max-width: 100%; height: auto; }
.cnn-geometry-pixel { fill: #ffffff; stroke: #999999; }
.cnn-geometry-padding { fill: #e0e0e0; stroke: #999999; }
.cnn-geometry-unread-pixel { fill: #d62728; stroke: #999999; }
.cnn-geometry-cross { stroke: #ffffff; stroke-width: 2; }
.cnn-geometry-window { fill: #0072b2; fill-opacity: 0.08; stroke: #0072b2; stroke-opacity: 0.6;
  stroke-width: 1.5; }
.cnn-geometry-window-one { fill: #0072b2; fill-opacity: 0.15; stroke: #0072b2; stroke-width: 3; }
.cnn-geometry-output { fill: #ffffff; stroke: #555555; }
.cnn-geometry-output-one { fill: #0072b2; stroke: #555555; }
.cnn-geometry-label { font: 12px sans-serif; fill: #222222; }
</style>"""


def _geometry(n: int, f: int, padding, s: int) -> tuple[int, int, int, np.ndarray]:
    """``(before, after, output size, unread)`` of a setting, along one axis."""
    from .shapes import same_padding

    if padding == "same":
        before, after = same_padding(n, f, s)
        size = math.ceil(n / s)
    else:
        before = after = 0 if padding == "valid" else padding
        size = output_size(n, f, before, s)  # raises when no window fits
    read = np.zeros(n + before + after, dtype=bool)
    for k in range(size):
        read[k * s : k * s + f] = True
    return before, after, size, np.flatnonzero(~read[before : before + n])


@dataclass(frozen=True)
class GeometryExplorer:
    """The convolution-geometry explorer, shown as HTML with its own script (``_repr_html_``).

    Its text form, and the words the page shows before its script runs, are those of the
    starting setting.
    """

    n: int
    f: int
    padding: int | str
    s: int

    @property
    def id(self) -> str:
        return f"geometry-explorer-{self.n}-{self.f}-{self.padding}-{self.s}"

    def describe(self) -> str:
        """The output size with the formula's terms filled in, and the unread pixels."""
        n, f, s = self.n, self.f, self.s
        before, after, size, unread = _geometry(n, f, self.padding, s)
        padded = f"{n} + 2·{before}" if before == after else f"{n} + {before} + {after}"
        floor = f"⌊({padded} − {f}) / {s}⌋ + 1 = {size}"
        if self.padding == "same":
            words = (
                f'Padding "same" pads {before} before and {after} after, the least that gives '
                f"⌈n / s⌉ = ⌈{n} / {s}⌉ = {size} positions: "
            )
        elif self.padding == "valid":
            words = 'Padding "valid" is p = 0. Output size: '
        else:
            words = "Output size: "
        listed = ", ".join(str(i) for i in unread)
        read = (
            "Every input pixel is read by some window."
            if not len(unread)
            else f"Rows and columns that no window reads (in red): {listed} of 0 to {n - 1}."
        )
        return f"{words}{floor}, so {size}×{size}.\n{read}"

    def __repr__(self) -> str:
        return self.describe()

    def _repr_html_(self) -> str:
        formula, unread = (html.escape(line) for line in self.describe().split("\n"))

        def slider(name: str, label: str, value: int, low: int, high: int) -> str:
            return (
                f'<label>{label} <input type="range" data-control="{name}" min="{low}" '
                f'max="{high}" value="{value}"> <output data-shows="{name}" aria-hidden="true">'
                f"{value}</output></label>"
            )

        options = "".join(
            f'<option value="{p}"{" selected" if p == self.padding else ""}>{p}</option>'
            for p in GEOMETRY_PADDINGS
        )
        size = _geometry(self.n, self.f, self.padding, self.s)[2]
        windows = "The one window." if size == 1 else f"All {size * size} windows together."
        script = files("utils").joinpath("geometry_explorer.js").read_text(encoding="utf-8")
        # the script finds its explorer just before it, or else by id (where a notebook's
        # front end runs it elsewhere)
        script = script.replace("|| BOX);", f'|| document.getElementById("{self.id}"));')
        controls = "".join(
            [
                slider("n", "input size n", self.n, *GEOMETRY_RANGES["n"]),
                slider("f", "kernel size f", self.f, *GEOMETRY_RANGES["f"]),
                f'<label>padding p <select data-control="padding">{options}</select></label>',
                slider("s", "stride s", self.s, *GEOMETRY_RANGES["s"]),
                slider("window", "window (0: all)", 0, 0, size * size).replace(
                    'min="0"', 'aria-valuetext="all windows" min="0"'
                ),
                '<button type="button" data-step="-1">Previous window</button>',
                '<button type="button" data-step="1">Next window</button>',
            ]
        )
        return (
            f'{_GEOMETRY_STYLE}<div class="cnn-geometry" id="{self.id}">'
            f'<div class="cnn-geometry-controls">{controls}</div>'
            f'<p class="cnn-geometry-formula" aria-live="polite">{formula}</p>'
            f'<p class="cnn-geometry-unread">{unread}</p>'
            f'<p class="cnn-geometry-window-text" aria-live="polite">{windows}</p>'
            f'<div class="cnn-geometry-picture" role="img" aria-label="{formula} {unread}"></div>'
            f"</div><script>{script}</script>"
        )


def geometry_explorer(n: int = 7, f: int = 3, padding: int | str = 0, s: int = 2):
    """An explorer of convolution geometry that runs in the page, with no kernel (chapter 4).

    The reader chooses the input size ``n`` (an ``n x n`` image), the kernel size ``f``, the
    padding (``"valid"``, ``"same"`` or a number of pixels on every side) and the stride ``s``,
    and sees the windows laid on the padded input, all together or one at a time, the output
    size with the formula's terms filled in (:func:`utils.output_size`; for ``"same"``,
    :func:`utils.same_padding`), and the input pixels that no window reads (in 2-D, a pixel whose
    row or column :func:`unused_pixels` marks). Unlike :func:`output_size_explorer` it needs no
    running kernel, so it works in the published book too.

    Parameters
    ----------
    n, f, s : int
        Starting input size, kernel size and stride, within :data:`GEOMETRY_RANGES`.
    padding : "valid", "same" or int
        Starting padding, one of :data:`GEOMETRY_PADDINGS`.

    Returns
    -------
    GeometryExplorer
        Display it as a cell's last expression.
    """
    for name, value in (("n", n), ("f", f), ("s", s)):
        low, high = GEOMETRY_RANGES[name]
        check_int(name, value, low)
        if value > high:
            raise ValueError(f"{name} must be <= {high} in the explorer, got {value}")
    if padding not in GEOMETRY_PADDINGS or isinstance(padding, bool):
        raise ValueError(f"padding must be one of {GEOMETRY_PADDINGS}, got {padding!r}")
    _geometry(n, f, padding, s)  # the starting setting must fit
    return GeometryExplorer(n, f, padding, s)
