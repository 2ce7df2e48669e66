"""Padding and 2-D convolution (chapter 1; padding in chapter 3, stride in chapter 4).

Like every deep-learning framework, :func:`conv2d` computes a *cross-correlation*: the kernel is
slid over the image without being flipped. Chapter 1 shows the difference numerically.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_image, check_int, check_pair
from .shapes import same_padding

PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}


def _padding_amounts(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """Normalise an int, a pair, or ``((top, bottom), (left, right))`` to the last form."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(
                "padding must be an int, a pair (rows, cols) or ((top, bottom), (left, right)), "
                f"got {padding!r}"
            )
        rows, cols = padding
        if isinstance(rows, (tuple, list)) or isinstance(cols, (tuple, list)):
            return check_pair("padding rows", rows, 0), check_pair("padding cols", cols, 0)
        rows, cols = check_pair("padding", padding, 0)
        return (rows, rows), (cols, cols)
    p = check_int("padding", padding, 0)
    return (p, p), (p, p)


def pad2d(image, p, mode: str = "zeros") -> np.ndarray:
    """Pad the two spatial axes of an image.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        The input; channels are never padded.
    p : int, (rows, cols) or ((top, bottom), (left, right))
        Pixels added on each side. An int pads all four sides equally.
    mode : {"zeros", "reflect", "replicate"}
        Zero padding (what convolution layers use), mirror the image without repeating the edge
        pixel, or repeat the edge pixel.

    Returns
    -------
    (H + top + bottom, W + left + right[, C]) array
        Same number of dimensions and dtype as ``image``.

    Examples
    --------
    >>> pad2d(np.ones((2, 2), dtype=int), 1)
    array([[0, 0, 0, 0],
           [0, 1, 1, 0],
           [0, 1, 1, 0],
           [0, 0, 0, 0]])
    """
    if mode not in PAD_MODES:
        raise ValueError(f"mode must be one of {sorted(PAD_MODES)}, got {mode!r}")
    array = as_image(image)
    (top, bottom), (left, right) = _padding_amounts(p)
    if (
        mode == "reflect"
        and max(top, bottom) >= array.shape[0]
        or (mode == "reflect" and max(left, right) >= array.shape[1])
    ):
        raise ValueError(
            f"reflect padding needs p smaller than the image size, got p={p!r} for an image "
            f"of {array.shape[0]}x{array.shape[1]}"
        )
    padded = np.pad(array, ((top, bottom), (left, right), (0, 0)), mode=PAD_MODES[mode])
    return padded if np.ndim(image) == 3 else padded[:, :, 0]


def conv2d(image, kernel, bias=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """2-D convolution layer (cross-correlation), as Keras' ``Conv2D`` computes it.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        The input.
    kernel : (kh, kw) or (kh, kw, C, K) array
        A single kernel for a one-channel image, or ``K`` filters over ``C`` channels (Keras'
        layout for ``Conv2D`` weights).
    bias : None, scalar or (K,) array
        Added to each feature map.
    stride : int or (rows, cols)
        Step of the window, ``>= 1``.
    padding : int, (rows, cols), ((top, bottom), (left, right)), "valid", "same" or "full"
        Zero padding. ``"valid"`` is none; ``"same"`` keeps ``ceil(n / stride)`` positions and
        puts an odd extra pixel at the bottom/right, as Keras does; ``"full"`` pads
        ``kernel size - 1`` on each side, so that every window overlapping the image is used.
    dilation : int or (rows, cols)
        Spacing between kernel taps (chapter 4), ``>= 1``.

    Returns
    -------
    (H', W') or (H', W', K) array
        ``(H', W')`` when ``kernel`` is 2-D, else one feature map per filter, with
        ``H' = floor((H + top + bottom - dh(kh - 1) - 1) / sh) + 1`` (see :func:`output_size`).

    Examples
    --------
    >>> image = np.arange(16).reshape(4, 4)
    >>> conv2d(image, np.array([[1, 0], [0, -1]]))
    array([[-5, -5, -5],
           [-5, -5, -5],
           [-5, -5, -5]])
    """
    x = as_image(image)
    w = np.asarray(kernel)
    if not (np.issubdtype(w.dtype, np.number) or w.dtype == np.bool_):
        raise TypeError(f"kernel must hold numbers, got dtype {w.dtype}")
    if w.ndim == 2:
        if x.shape[2] != 1:
            raise ValueError(
                f"a 2-D kernel (kh, kw) needs a one-channel image, got {x.shape[2]} channels; "
                "pass a kernel of shape (kh, kw, C, K)"
            )
        w4 = w[:, :, np.newaxis, np.newaxis]
    elif w.ndim == 4:
        if w.shape[2] != x.shape[2]:
            raise ValueError(
                f"kernel has {w.shape[2]} input channels but image has {x.shape[2]}: "
                "kernel shape must be (kh, kw, C, K) with C the image's channels"
            )
        w4 = w
    else:
        raise ValueError(f"kernel must have shape (kh, kw) or (kh, kw, C, K), got {w.shape}")
    kh, kw, _, n_filters = w4.shape
    if min(w4.shape) < 1:
        raise ValueError(f"kernel must not be empty, got shape {w.shape}")
    sh, sw = check_pair("stride", stride, 1)
    dh, dw = check_pair("dilation", dilation, 1)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1

    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0), (0, 0)
        elif padding == "same":
            pads = (
                same_padding(x.shape[0], kh, sh, dh),
                same_padding(x.shape[1], kw, sw, dw),
            )
        elif padding == "full":
            pads = (span_h - 1, span_h - 1), (span_w - 1, span_w - 1)
        else:
            raise ValueError(f"padding must be an int, 'valid', 'same' or 'full', got {padding!r}")
    else:
        pads = _padding_amounts(padding)
    padded = pad2d(x, pads)
    if span_h > padded.shape[0] or span_w > padded.shape[1]:
        raise ValueError(
            f"kernel spans {span_h}x{span_w} pixels, larger than the padded input "
            f"{padded.shape[0]}x{padded.shape[1]}"
        )

    # windows[i, j, c, a, b] = padded[i*sh + a*dh, j*sw + b*dw, c]
    windows = sliding_window_view(padded, (span_h, span_w), axis=(0, 1))
    windows = windows[::sh, ::sw, :, ::dh, ::dw]
    out = np.einsum("ijcab,abck->ijk", windows, w4)
    if bias is not None:
        b = np.asarray(bias)
        if b.ndim > 1 or (b.ndim == 1 and b.shape[0] != n_filters):
            raise ValueError(f"bias must be a scalar or have shape ({n_filters},), got {b.shape}")
        out = out + b
    return out[:, :, 0] if w.ndim == 2 else out
