"""Argument checks shared by the ``utils`` modules.

Every public function of the package validates its input with these helpers, so that a learner
who passes a wrong shape or size gets a message naming the argument and what is allowed.
"""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as a Python int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_pair(name: str, value, minimum: int | None = None) -> tuple[int, int]:
    """Return an int or a pair of ints as ``(rows, cols)``, each checked with :func:`check_int`."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a pair of integers, got {value!r}")
        return (
            check_int(f"{name}[0]", value[0], minimum),
            check_int(f"{name}[1]", value[1], minimum),
        )
    v = check_int(name, value, minimum)
    return v, v


def as_image(image, name: str = "image") -> np.ndarray:
    """Return ``image`` as ``(H, W, C)``; accept ``(H, W)`` (one channel) or ``(H, W, C)``."""
    array = np.asarray(image)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim == 2:
        return array[:, :, np.newaxis]
    if array.ndim == 3:
        return array
    raise ValueError(
        f"{name} must have shape (H, W) or (H, W, C), got {array.ndim} dimensions {array.shape}"
    )
