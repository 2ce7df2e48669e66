"""Checkers for the "your turn" exercises: one function per exercise, named by its chapter.

A "your turn" cell holds a function for the learner to complete (its body starts as
``raise NotImplementedError``) and ends with a call to its checker, ``utils.checks.ch4_output_size
(output_size)`` for example. The checker calls the learner's function on cases whose answers come
from an independent reference (TensorFlow and Keras, or NumPy where TensorFlow has no such op),
and returns a :class:`Verdict` that prints as one of

- ``Not done yet: ...``: the function still raises ``NotImplementedError``;
- ``Not right yet: ...``: the first failing case, what the function returned and what was
  expected, and, when the answer matches a typical mistake (a missing floor, a kernel not
  flipped, an off-by-one), that mistake named with what to change;
- ``Right: ...``: every case agrees, and how many there were.

A checker never raises for a wrong or unfinished answer (an error raised by the learner's code is
reported in the verdict), so that "Run all" goes on past an exercise not done yet.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

NOT_DONE = "not done"
WRONG = "wrong"
RIGHT = "right"


@dataclass(frozen=True)
class Verdict:
    """What a checker found: ``status`` is ``"right"``, ``"wrong"`` or ``"not done"``."""

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == RIGHT

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


class _NotDone(Exception):
    pass


class _Failed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _call(function: Callable, *args, **kwargs) -> Any:
    """Call the learner's function; turn what it raises into a verdict's words."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise _NotDone from None
    except Exception as error:  # noqa: BLE001 - the learner's code may raise anything
        call = _format_call(function, args, kwargs)
        raise _Failed(f"{call} raised {type(error).__name__}: {error}") from None


def _format_call(function: Callable, args: tuple, kwargs: dict) -> str:
    name = getattr(function, "__name__", "your function")
    shown = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(shown)})"


def _short(value: Any) -> str:
    """A value as a verdict shows it: small arrays in full (booleans as 0 and 1), else a shape."""
    shape = getattr(value, "shape", None)
    if shape is None or len(shape) == 0:
        return repr(value)
    import numpy as np

    array = np.asarray(value)
    if array.size > 36:
        return f"<array of shape {tuple(shape)}>"
    if array.dtype == bool:
        array = array.astype(int)
    elif np.issubdtype(array.dtype, np.floating):
        array = np.round(array, 4)
    return str(array.tolist())


def _judge(exercise: str, function: Callable, what: str, run: Callable[[], str]) -> Verdict:
    """Run ``run()`` (which returns the "Right" details or raises) and word the verdict."""
    if not callable(function):
        return Verdict(
            exercise,
            WRONG,
            f"Not right yet: give the checker your function itself, not {_short(function)} "
            f"(write the name without brackets: {exercise.split(' ')[0]}).",
        )
    try:
        details = run()
    except _NotDone:
        name = getattr(function, "__name__", what)
        return Verdict(
            exercise,
            NOT_DONE,
            f"Not done yet: {name} still raises NotImplementedError. Replace the `raise` line "
            f"with your code ({what}), then run the cell again.",
        )
    except _Failed as failure:
        return Verdict(exercise, WRONG, f"Not right yet: {failure.message}")
    return Verdict(exercise, RIGHT, f"Right: {details}")


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: its arguments, and how to show it."""

    args: tuple = ()
    kwargs: dict | None = None

    def call(self, function: Callable) -> Any:
        return _call(function, *self.args, **(self.kwargs or {}))

    def shown(self, name: str) -> str:
        return _format_call(_Named(name), self.args, self.kwargs or {})


@dataclass(frozen=True)
class _Named:
    __name__: str


def compare(
    function: Callable,
    cases: Iterable[Case],
    reference: Callable[..., Any],
    mistakes: Iterable[tuple[str, Callable[..., Any]]] = (),
    *,
    name: str,
    validate: Callable[[Any, Any], str | None] | None = None,
    source: str = "the reference",
) -> int:
    """Hold ``function`` to ``reference`` on every case; return the number of cases.

    ``reference(*args, **kwargs)`` gives the right answer of a case; each of ``mistakes`` is
    ``(words, wrong)``, where ``wrong(*args, **kwargs)`` is what a typical mistake gives.
    ``validate(answer, expected)`` may return why an answer is unusable (a float where an int is
    due, a wrong shape) before it is compared. When the answers differ from the reference, the
    first failing case is shown, with the words of the mistake that gives every answer the
    function gave (or, failing that, the answer of that case).

    Raises ``_Failed`` with the verdict's words, or ``_NotDone``.
    """
    cases = list(cases)
    answers, expected = [], []
    for case in cases:
        answer = case.call(function)
        right = reference(*case.args, **(case.kwargs or {}))
        problem = validate(answer, right) if validate else None
        if problem:
            raise _Failed(f"{case.shown(name)} returned {_short(answer)}: {problem}.")
        answers.append(answer)
        expected.append(right)
    failing = [k for k, (a, e) in enumerate(zip(answers, expected, strict=True)) if not _same(a, e)]
    if not failing:
        return len(cases)
    first = failing[0]
    mistakes = list(mistakes)

    def gives(wrong: Callable, k: int) -> bool:
        try:
            result = wrong(*cases[k].args, **(cases[k].kwargs or {}))
        except Exception:  # noqa: BLE001 - a mistake that has no answer for this case
            return False
        return _same(answers[k], result)

    words = next(
        (w for w, wrong in mistakes if all(gives(wrong, k) for k in range(len(cases)))),
        None,
    ) or next((w for w, wrong in mistakes if gives(wrong, first)), None)
    case = cases[first]
    raise _Failed(
        f"{case.shown(name)} returned {_short(answers[first])}, {source} gives "
        f"{_short(expected[first])}" + (f": {words}." if words else ".")
    )


def _same(a: Any, b: Any) -> bool:
    import numpy as np

    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-6))


# ----------------------------------------------------------------------------------------------
# Chapter 1: convolution

# ----------------------------------------------------------------------------------------------
# Chapter 2: pooling

# ----------------------------------------------------------------------------------------------
# Chapter 3: padding

# ----------------------------------------------------------------------------------------------
# Chapter 4: stride


def _axis_cases(*, n_max: int, f_max: int, p_max: int, s_max: int) -> list[Case]:
    """Every ``(n, f, p=, s=)`` along one axis where the kernel fits, the padding and stride
    growing slowest and the sizes from the largest down (so that a first failure reads like a
    real layer's)."""
    settings = itertools.product(
        range(p_max + 1), range(1, s_max + 1), range(f_max, 0, -1), range(n_max, 0, -1)
    )
    return [Case((n, f), {"p": p, "s": s}) for p, s, f, n in settings if f <= n + 2 * p]


@functools.cache
def _tf_output_size(n: int, f: int, s: int, p: int) -> int:
    """The output size of TensorFlow's convolution: the independent reference for chapter 4."""
    import tensorflow as tf

    out = tf.nn.conv2d(
        tf.zeros((1, n, 1, 1)),
        tf.zeros((f, 1, 1, 1)),
        strides=(1, s, 1, 1),
        padding=[[0, 0], [p, p], [0, 0], [0, 0]],
    )
    return int(out.shape[1])


def ch4_output_size(output_size: Callable) -> Verdict:
    """Chapter 4, "your turn": ``output_size(n, f, s=1, p=0)``, the number of window positions.

    Checks the learner's function against the output sizes of ``tf.nn.conv2d`` (with ``p``
    zeros on each side) on every ``n`` from 1 to 12, ``f`` from 1 to 5, ``s`` from 1 to 4
    and ``p`` from 0 to 2 where the kernel fits, and names the typical mistakes: a result that is
    not an integer (``/`` where ``//`` is needed), ``ceil`` instead of ``floor``, a missing
    ``+ 1``, the padding counted once instead of on both sides, the stride left out.
    """
    import math

    exercise = "output_size (chapter 4)"

    def validate(answer: Any, expected: int) -> str | None:
        if isinstance(answer, int) and not isinstance(answer, bool):
            return None
        if isinstance(answer, float):
            return (
                "not an integer: a number of window positions is whole; divide with `//`, "
                "which rounds down and gives an int, rather than `/`"
            )
        return f"not a number: return an int, not {type(answer).__name__}"

    def run() -> str:
        cases = _axis_cases(n_max=12, f_max=5, p_max=2, s_max=4)
        count = compare(
            output_size,
            cases,
            lambda n, f, s, p: _tf_output_size(n, f, s, p),
            [
                (
                    "it looks like the division rounds up; the last window must fit inside the "
                    "padded input, so round down (`//`)",
                    lambda n, f, s, p: math.ceil((n + 2 * p - f) / s) + 1,
                ),
                (
                    "it looks like the `+ 1` is missing: the first window counts too",
                    lambda n, f, s, p: (n + 2 * p - f) // s,
                ),
                (
                    "it looks like the padding is counted once: p pixels go on each side, so "
                    "the padded input is n + 2p wide",
                    lambda n, f, s, p: (n + p - f) // s + 1,
                ),
                (
                    "it looks like the stride is left out: the window moves s pixels at a time, "
                    "so divide the room it has to move by s",
                    lambda n, f, s, p: n + 2 * p - f + 1,
                ),
            ],
            name="output_size",
            validate=validate,
            source="tf.nn.conv2d",
        )
        return (
            f"output_size agrees with tf.nn.conv2d on all {count} cases (n from 1 to 12, "
            "f from 1 to 5, s from 1 to 4, p from 0 to 2)."
        )

    return _judge(exercise, output_size, "the output size with its floor", run)


@functools.cache
def _tf_unread(n: int, f: int, p: int, s: int):
    """Pixels along one axis that no window reads: where the gradient of a TensorFlow
    convolution's outputs with respect to its input is zero (the independent reference)."""
    import numpy as np
    import tensorflow as tf

    x = tf.Variable(tf.ones((1, n, 1, 1)))
    with tf.GradientTape() as tape:
        out = tf.nn.conv2d(
            x, tf.ones((f, 1, 1, 1)), strides=(1, s, 1, 1), padding=[[0, 0], [p, p], [0, 0], [0, 0]]
        )
        total = tf.reduce_sum(out)
    unread = np.asarray(tape.gradient(total, x)).reshape(n) == 0
    unread.flags.writeable = False  # cached: shared by every call
    return unread


def _read_by_windows(size: int, f: int, s: int):
    """Positions of ``range(size)`` that the windows starting at 0, s, 2s... read."""
    import numpy as np

    read = np.zeros(size, dtype=bool)
    for start in range(0, size - f + 1, s):
        read[start : start + f] = True
    return read


def ch4_unread_pixels(unread_pixels: Callable) -> Verdict:
    """Chapter 4, "your turn": ``unread_pixels(n, f, p=0, s=1)``, the pixels no window reads.

    The learner's function must return ``n`` booleans, True for each pixel of the image (not of
    its padding) that no window position reads. Checked against the zero entries of the gradient
    of ``tf.nn.conv2d`` with respect to its input, for every ``n`` from 1 to 12, ``f`` from 1 to
    4, ``p`` from 0 to 2 and ``s`` from 1 to 6 where the kernel fits; the typical mistakes named
    are the answer the other way round (the pixels read), positions counted in the padded input
    instead of the image, and only the end's remainder counted (not the gaps when ``s > f``).
    """
    import numpy as np

    def validate(answer: Any, expected: Any) -> str | None:
        shape = getattr(answer, "shape", None)
        if shape is None:
            try:
                shape = np.shape(answer)
            except Exception:  # noqa: BLE001 - not array-like at all
                return f"not an array: return n booleans, not {type(answer).__name__}"
        if tuple(shape) != expected.shape:
            return (
                f"{len(expected)} values were due, one per pixel of the image (its padding "
                f"left out), not shape {tuple(shape)}"
            )
        values = np.asarray(answer)
        if values.dtype != bool and not np.isin(values, (0, 1)).all():
            return "not booleans: True for a pixel no window reads, False for one that is read"
        return None

    def padded_coordinates(n, f, p=0, s=1):
        return ~_read_by_windows(n + 2 * p, f, s)[:n]

    def end_only(n, f, p=0, s=1):
        unread = np.zeros(n, dtype=bool)
        rest = (n + 2 * p - f) % s - p
        if rest > 0:
            unread[n - rest :] = True
        return unread

    def run() -> str:
        cases = _axis_cases(n_max=12, f_max=4, p_max=2, s_max=6)
        count = compare(
            unread_pixels,
            cases,
            lambda n, f, p, s: _tf_unread(n, f, p, s),
            [
                (
                    "it looks like the answer is the other way round: True is due for the pixels "
                    "that no window reads",
                    lambda n, f, p, s: ~_tf_unread(n, f, p, s),
                ),
                (
                    "it looks like the positions are counted in the padded input: the image's "
                    "pixel i is position i + p there",
                    padded_coordinates,
                ),
                (
                    "it looks like only the end is counted: with s > f the windows also leave "
                    "gaps between them",
                    end_only,
                ),
            ],
            name="unread_pixels",
            validate=validate,
            source="the gradient of tf.nn.conv2d",
        )
        return (
            f"unread_pixels agrees with the gradient of tf.nn.conv2d on all {count} cases (n from "
            "1 to 12, f from 1 to 4, p from 0 to 2, s from 1 to 6)."
        )

    return _judge("unread_pixels (chapter 4)", unread_pixels, "n booleans, True where unread", run)


# ----------------------------------------------------------------------------------------------
# Chapter 8: a CNN from scratch
