"""Max and average pooling (chapter 2)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import as_image, check_pair


def _pool(image, pool_size, stride, reduce) -> np.ndarray:
    x = as_image(image)
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    if ph > x.shape[0] or pw > x.shape[1]:
        raise ValueError(f"pool_size {ph}x{pw} is larger than the input {x.shape[0]}x{x.shape[1]}")
    windows = sliding_window_view(x, (ph, pw), axis=(0, 1))[::sh, ::sw]
    out = reduce(windows, axis=(3, 4))
    return out if np.ndim(image) == 3 else out[:, :, 0]


def max_pool2d(image, pool_size=2, stride=None) -> np.ndarray:
    """Max pooling with valid padding, as Keras' ``MaxPooling2D``.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        Each channel is pooled on its own; the depth is unchanged.
    pool_size : int or (rows, cols)
        Window size, ``>= 1``.
    stride : None, int or (rows, cols)
        Step of the window; ``None`` means ``pool_size`` (non-overlapping windows).

    Returns
    -------
    (H', W') or (H', W', C) array
        ``H' = floor((H - pool_size) / stride) + 1``; same dtype as ``image``.

    Examples
    --------
    >>> max_pool2d(np.arange(16).reshape(4, 4))
    array([[ 5,  7],
           [13, 15]])
    """
    return _pool(image, pool_size, stride, np.max)


def avg_pool2d(image, pool_size=2, stride=None) -> np.ndarray:
    """Average pooling with valid padding, as Keras' ``AveragePooling2D``.

    Same parameters and output shape as :func:`max_pool2d`; the result is floating point.

    Examples
    --------
    >>> avg_pool2d(np.arange(16).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return _pool(image, pool_size, stride, np.mean)
