"""Output sizes of convolution and pooling layers (chapter 1, derived in chapter 4), and the
receptive fields of a stack of them (chapter 4)."""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ReceptiveField:
    """The input window that one value of a layer's output depends on, along one axis.

    ``size`` pixels wide; neighbouring output values' windows are ``jump`` pixels apart; the
    window of output value 0 starts at input pixel ``start`` (negative where it reaches into the
    padding), so output value ``i`` reads pixels ``start + i * jump`` to
    ``start + i * jump + size - 1``.
    """

    name: str
    size: int
    jump: int
    start: int

    def window(self, i: int) -> tuple[int, int]:
        """First and last input pixel read by output value ``i``."""
        first = self.start + i * self.jump
        return first, first + self.size - 1


def receptive_fields(layers) -> list[ReceptiveField]:
    """The receptive field of every layer of a stack of convolutions and poolings (chapter 4).

    A layer with kernel (or pool) size ``f``, stride ``s`` and padding ``p`` on top of a field of
    size ``r`` and jump ``j`` gives ``r + (f - 1) j``, jump ``j s`` and start
    ``start - p j``: its window spans ``f`` of the previous layer's values, ``j`` input pixels
    apart, and its step of ``s`` values is ``s j`` pixels. The input itself is ``(1, 1, 0)``.

    Parameters
    ----------
    layers : sequence of ``(name, f, s)`` or ``(name, f, s, p)`` tuples
        From the input up; layers that keep every position (ReLU, dropout) are left out.

    Returns
    -------
    list of ReceptiveField
        One per layer, in order.

    Raises
    ------
    ValueError
        If a layer is not ``(name, f, s)`` or ``(name, f, s, p)`` with ``f, s >= 1, p >= 0``.

    Examples
    --------
    >>> [r.size for r in receptive_fields([("conv1", 5, 1), ("pool1", 2, 2), ("conv2", 5, 1)])]
    [5, 6, 14]
    """
    fields = []
    size, jump, start = 1, 1, 0
    for layer in layers:
        if not isinstance(layer, tuple | list) or len(layer) not in (3, 4):
            raise ValueError(f"each layer is (name, f, s) or (name, f, s, p), got {layer!r}")
        name, f, s, *rest = layer
        f = check_int("f", f, 1)
        s = check_int("s", s, 1)
        p = check_int("p", rest[0] if rest else 0, 0)
        size, start, jump = size + (f - 1) * jump, start - p * jump, jump * s
        fields.append(ReceptiveField(str(name), size, jump, start))
    return fields
