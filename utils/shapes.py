"""Output sizes of convolution and pooling layers (chapter 1, derived in chapter 4)."""

from __future__ import annotations

import math

from ._validate import check_int


def output_size(n: int, f: int, p: int = 0, s: int = 1, d: int = 1) -> int:
    """Size of a convolution or pooling output along one spatial axis.

    ``floor((n + 2p - d(f - 1) - 1) / s) + 1``, which for ``d = 1`` is the familiar
    ``floor((n + 2p - f) / s) + 1``.

    Parameters
    ----------
    n : int
        Input size (height or width), ``n >= 1``.
    f : int
        Kernel or pool size, ``f >= 1``.
    p : int
        Zero padding added on *each* side, ``p >= 0``.
    s : int
        Stride, ``s >= 1``.
    d : int
        Dilation rate, ``d >= 1``; the kernel then spans ``d(f - 1) + 1`` input pixels.

    Returns
    -------
    int
        The number of positions the window takes.

    Examples
    --------
    >>> output_size(28, 5)
    24
    >>> output_size(7, 3, p=1, s=2)
    4
    """
    n = check_int("n", n, 1)
    f = check_int("f", f, 1)
    p = check_int("p", p, 0)
    s = check_int("s", s, 1)
    d = check_int("d", d, 1)
    span = d * (f - 1) + 1
    if span > n + 2 * p:
        raise ValueError(
            f"the kernel spans {span} pixels, more than the padded input n + 2p = {n + 2 * p}"
        )
    return (n + 2 * p - span) // s + 1


def same_padding(n: int, f: int, s: int = 1, d: int = 1) -> tuple[int, int]:
    """Zero padding ``(before, after)`` that Keras' ``padding="same"`` adds along one axis.

    The output has ``ceil(n / s)`` positions. The total padding that needs is split in two and,
    when it is odd, the extra pixel goes *after* (at the bottom or right), as TensorFlow does.

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 3, s=2)
    (0, 1)
    """
    n = check_int("n", n, 1)
    f = check_int("f", f, 1)
    s = check_int("s", s, 1)
    d = check_int("d", d, 1)
    span = d * (f - 1) + 1
    total = max((math.ceil(n / s) - 1) * s + span - n, 0)
    return total // 2, total - total // 2
