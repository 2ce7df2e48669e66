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
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

NOT_DONE = "not done"
WRONG = "wrong"
RIGHT = "right"
WIDTH = 88  # characters a verdict's line may take: what a code block shows without scrolling


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
        """The message, its lines wrapped to fit a notebook's or the book's code block."""
        return "\n".join(
            textwrap.fill(line, WIDTH, subsequent_indent=line[: len(line) - len(line.lstrip())])
            or line
            for line in self.message.splitlines()
        )

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


def _tf_conv_layer(image, bank, bias):
    """A Conv2D layer's feature maps by TensorFlow, the independent reference for chapter 1:
    ``tf.nn.conv2d`` ("VALID", stride 1) of one (H, W, C) image with a (kh, kw, C, K) bank, plus
    one bias per filter (``tf.nn.bias_add``), in float64 so that integers come out exact."""
    import numpy as np
    import tensorflow as tf

    batch = np.asarray(image, dtype="float64")[np.newaxis]
    out = tf.nn.conv2d(batch, np.asarray(bank, dtype="float64"), strides=1, padding="VALID")
    return tf.nn.bias_add(out, np.asarray(bias, dtype="float64")).numpy()[0]


class _LayerCase(Case):
    """A case of chapter 1's layer, shown with its arrays' shapes (their values are too many to
    read in a verdict) and its biases."""

    def shown(self, name: str) -> str:
        image, bank, bias = self.args
        return (
            f"{name}(an image of shape {image.shape}, a bank of shape {bank.shape}, "
            f"bias {bias.tolist()})"
        )


@functools.cache
def _ch1_layer_cases() -> tuple[tuple[Case, Any], ...]:
    """Chapter 1's cases, each with TensorFlow's answer: random integer images (0 to 9), banks
    (-3 to 3) and non-zero biases, read-only, whose shapes tell rows from columns and channels
    from filters (a one-channel 5x5 image and a 3x3 kernel first, like the chapter's)."""
    import numpy as np

    rng = np.random.default_rng(1)
    shapes = [  # (H, W, C, kh, kw, K)
        (5, 5, 1, 3, 3, 1),
        (6, 7, 3, 3, 3, 2),
        (7, 5, 2, 2, 3, 4),
        (8, 6, 3, 4, 2, 1),
        (4, 4, 2, 4, 4, 3),
        (6, 9, 4, 1, 1, 2),
    ]
    pairs = []
    for h, w, c, kh, kw, k in shapes:
        image = rng.integers(0, 10, size=(h, w, c))
        bank = rng.integers(-3, 4, size=(kh, kw, c, k))
        bias = rng.choice([-3, -2, -1, 1, 2, 3], size=k)
        for array in (image, bank, bias):
            array.flags.writeable = False  # cached: shared by every call
        expected = _tf_conv_layer(image, bank, bias)
        expected.flags.writeable = False
        pairs.append((_LayerCase((image, bank, bias)), expected))
    return tuple(pairs)


def ch1_conv_layer(conv_layer_loop: Callable) -> Verdict:
    """Chapter 1, "your turn": ``conv_layer_loop(image, bank, bias)``, a Conv2D layer's output.

    The learner's function takes an (H, W, C) image, a (kh, kw, C, K) kernel bank and K biases,
    and must return the K feature maps, of shape (H - kh + 1, W - kw + 1, K). Checked against
    ``tf.nn.conv2d`` ("VALID", stride 1) plus the bias on six random integer images and banks:
    one to four channels and filters, images and kernels square and not, kernels from 1x1 to the
    image's size. The typical mistakes named are the bias left out, the bias added once per
    channel, one channel only (the first, or the last, as when each channel's sum replaces the
    one before), the kernel flipped (a true convolution), the kernel's weights left out (a plain
    sum of the window) and the last row and column never filled; a wrong shape is named as one
    row and column short (``range(n - f)``), the filters first, or one map per channel and filter.
    """
    import numpy as np

    pairs = _ch1_layer_cases()
    known = {id(case.args[0]): expected for case, expected in pairs}

    def validate(answer: Any, expected: Any) -> str | None:
        try:
            shape = tuple(np.shape(answer))
        except Exception:  # noqa: BLE001 - not array-like at all
            shape = ()
        if answer is None or shape == ():
            return f"not an array: return the feature maps, not {type(answer).__name__}"
        if shape == expected.shape:
            return None
        out_h, out_w, filters = expected.shape
        if shape == (out_h - 1, out_w - 1, filters):
            return (
                "one row and one column short: a window of f pixels fits at n - f + 1 positions "
                "along n pixels, so loop over range(n - f + 1)"
            )
        if shape == (filters, out_h, out_w):
            return (
                f"the filters come first: shape {expected.shape} was due, (H', W', K) with the "
                "filters last, as Keras stores feature maps"
            )
        if len(shape) == 4 and shape[:2] == (out_h, out_w):
            return (
                "one map per channel and filter: a filter sums its products over all C channels "
                f"into a single feature map, so shape {expected.shape} was due, (H', W', K)"
            )
        return (
            f"shape {expected.shape} was due, (H - kh + 1, W - kw + 1, K): one row per position "
            "of the window down the image, one column per position across, one map per filter"
        )

    def last_row_and_column_empty(image, bank, bias):
        feature_maps = _tf_conv_layer(image, bank, bias)
        feature_maps[-1, :, :] = 0
        feature_maps[:, -1, :] = 0
        return feature_maps

    def run() -> str:
        count = compare(
            conv_layer_loop,
            [case for case, _ in pairs],
            lambda image, bank, bias: known[id(image)],
            [
                (
                    "it looks like the bias is left out: add the filter's bias b_k to each of its "
                    "outputs",
                    lambda image, bank, bias: _tf_conv_layer(image, bank, 0 * bias),
                ),
                (
                    "it looks like the bias is added once per channel: add b_k once, after the "
                    "sum over all the channels",
                    lambda image, bank, bias: _tf_conv_layer(image, bank, image.shape[-1] * bias),
                ),
                (
                    "it looks like only the last channel counts, as if each channel's sum "
                    "replaced the one before: add every channel's products to the sum (`+=`)",
                    lambda image, bank, bias: _tf_conv_layer(
                        image[:, :, -1:], bank[:, :, -1:, :], bias
                    ),
                ),
                (
                    "it looks like only the first channel counts: a filter reads all C channels "
                    "of its window, image[i : i + kh, j : j + kw, :]",
                    lambda image, bank, bias: _tf_conv_layer(
                        image[:, :, :1], bank[:, :, :1, :], bias
                    ),
                ),
                (
                    "it looks like the kernel is flipped (a true convolution): a CNN's convolution "
                    "multiplies pixel (i + m, j + n) by the weight (m, n) as it is, no flip",
                    lambda image, bank, bias: _tf_conv_layer(image, bank[::-1, ::-1], bias),
                ),
                (
                    "it looks like the kernel's weights are left out (a plain sum of the window): "
                    "multiply each pixel by the weight on top of it, then add",
                    lambda image, bank, bias: _tf_conv_layer(image, np.ones_like(bank), bias),
                ),
                (
                    "it looks like the last row and column are never filled: a window of f pixels "
                    "fits at n - f + 1 positions, so loop over range(n - f + 1)",
                    last_row_and_column_empty,
                ),
            ],
            name="conv_layer_loop",
            validate=validate,
            source="tf.nn.conv2d plus the bias",
        )
        return (
            f"conv_layer_loop agrees with tf.nn.conv2d plus the bias on all {count} cases (1 to 4 "
            "channels and filters, kernels from 1x1 to 4x4, square and not)."
        )

    return _judge("conv_layer_loop (chapter 1)", conv_layer_loop, "the K feature maps", run)


@functools.cache
def _keras_conv_params(kernel_size: int, in_channels: int, filters: int) -> int:
    """Parameters of a built Keras ``Conv2D(filters, kernel_size)`` on ``in_channels`` channels:
    the independent reference for chapter 1."""
    import keras

    layer = keras.layers.Conv2D(filters, kernel_size)
    layer.build((None, None, None, in_channels))
    return int(layer.count_params())


def ch1_conv_params(conv_params: Callable) -> Verdict:
    """Chapter 1, "your turn": ``conv_params(kernel_size, in_channels, filters)``, a layer's size.

    Checks the learner's count of weights and biases against ``count_params()`` of a built
    Keras ``Conv2D(filters, kernel_size)`` layer on ``in_channels`` channels, for every kernel
    size in 3, 5, 1, 7, every number of channels in 3, 1, 32 and of filters in 16, 1, 64 (36
    cases, a real layer's first), and names the typical mistakes: the biases forgotten, the input
    channels forgotten, one bias per weight (or per input channel instead of per filter), the
    kernel size not squared, the count of one filter only; a result that is not an integer is
    rejected as such.
    """
    from numbers import Integral

    def validate(answer: Any, expected: int) -> str | None:
        if isinstance(answer, Integral) and not isinstance(answer, bool):
            return None
        if isinstance(answer, float):
            return (
                "not an integer: a number of parameters is whole; products of ints are ints "
                "(`*`, `**`), while `/` and math.pow give floats"
            )
        return f"not a number: return an int, not {type(answer).__name__}"

    def run() -> str:
        cases = [
            Case((size, channels, filters))
            for size, channels, filters in itertools.product((3, 5, 1, 7), (3, 1, 32), (16, 1, 64))
        ]
        count = compare(
            conv_params,
            cases,
            _keras_conv_params,
            [
                (
                    "it looks like the biases are forgotten: each filter has one bias too, so add "
                    "`filters`",
                    lambda size, c, f: size * size * c * f,
                ),
                (
                    "it looks like the input channels are forgotten: a filter has one "
                    "kernel_size x kernel_size kernel per input channel",
                    lambda size, c, f: size * size * f + f,
                ),
                (
                    "it looks like there is one bias per weight: a filter has a single bias, "
                    "added once to each of its outputs",
                    lambda size, c, f: 2 * size * size * c * f,
                ),
                (
                    "it looks like there is one bias per input channel: the biases go with the "
                    "filters, one each",
                    lambda size, c, f: size * size * c * f + c,
                ),
                (
                    "it looks like the kernel size is not squared: a kernel has kernel_size rows "
                    "and kernel_size columns of weights",
                    lambda size, c, f: size * c * f + f,
                ),
                (
                    "it looks like this counts one filter only: the layer has `filters` of them, "
                    "each with its own weights and bias",
                    lambda size, c, f: size * size * c + 1,
                ),
            ],
            name="conv_params",
            validate=validate,
            source="Keras count_params()",
        )
        return (
            f"conv_params agrees with Keras' count_params() on all {count} layers (kernels of "
            "1x1 to 7x7, 1 to 32 input channels, 1 to 64 filters)."
        )

    return _judge("conv_params (chapter 1)", conv_params, "weights plus biases", run)


# ----------------------------------------------------------------------------------------------
# Chapter 2: pooling

_KEPT_SHAPES = ((4, 4), (5, 5), (6, 7), (7, 6), (8, 8), (9, 9))
_KEPT_WINDOWS = ((2, 2), (3, 3), (3, 2), (2, 1))  # (pool_size, stride): tiled and overlapping


@functools.cache
def _random_feature_map(shape: tuple[int, int]):
    """A feature map of ``shape`` holding the integers from 0 to H * W - 1 in a random order (no
    ties, short to show), the same on every call; read-only, so that a learner's function
    cannot change it under the reference."""
    import numpy as np

    feature_map = np.random.default_rng(list(shape)).permutation(shape[0] * shape[1])
    feature_map = feature_map.reshape(shape)
    feature_map.flags.writeable = False
    return feature_map


@functools.cache
def _tf_kept_by_max_pool(shape: tuple[int, int], pool_size: int, stride: int):
    """The activations of ``_random_feature_map(shape)`` that ``tf.nn.max_pool2d`` (padding
    VALID) keeps: those its output's gradient reaches (the independent reference)."""
    import numpy as np
    import tensorflow as tf

    x = tf.Variable(_random_feature_map(shape)[np.newaxis, :, :, np.newaxis].astype("float32"))
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(tf.nn.max_pool2d(x, pool_size, stride, padding="VALID"))
    kept = np.asarray(tape.gradient(total, x))[0, :, :, 0] != 0
    kept.flags.writeable = False  # cached: shared by every call
    return kept


def _marked_by_windows(
    feature_map,
    pool_size: int,
    stride: int,
    *,
    pick: str = "max",
    partial: bool = False,
    corner_step: int | None = None,
    swapped: bool = False,
):
    """What a loop over max pooling's windows marks, with the typical mistakes of chapter 2's
    ``kept_by_max_pooling``: each window's largest (``pick="max"``), smallest (``"min"``) or
    every activation (``"all"``); windows that do not fit kept too (``partial``); window
    (i, j) placed at row ``i * corner_step``; row and column inside the window swapped."""
    import numpy as np

    height, width = feature_map.shape
    marked = np.zeros((height, width), dtype=bool)
    step = stride if corner_step is None else corner_step

    def corners(n: int) -> range:
        count = len(range(0, n, stride)) if partial else (n - pool_size) // stride + 1
        return range(0, count * step, step)

    for top in corners(height):
        for left in corners(width):
            window = feature_map[top : top + pool_size, left : left + pool_size]
            if pick == "all":
                marked[top : top + pool_size, left : left + pool_size] = True
                continue
            k = np.argmax(window) if pick == "max" else np.argmin(window)
            row, column = np.unravel_index(k, window.shape)
            if swapped:
                row, column = column, row
            marked[top + row, left + column] = True
    return marked


def ch2_kept_by_max_pooling(kept_by_max_pooling: Callable) -> Verdict:
    """Chapter 2, "your turn": ``kept_by_max_pooling(feature_map, pool_size=2, stride=2)``, the
    activations of a 2-D feature map that max pooling keeps.

    The learner's function must return booleans of the feature map's shape, True at the largest
    value of each window. Checked against the activations that the gradient of
    ``tf.nn.max_pool2d`` (padding VALID) reaches, on maps of 4x4, 5x5, 6x7, 7x6, 8x8 and 9x9
    (the integers from 0 to H * W - 1 in a random order: no ties), with 2x2 windows and
    stride 2, 3x3 and stride 3, 3x3 and stride 2 (overlapping) and 2x2 and stride 1. The typical
    mistakes named: the smallest value marked, every activation of a window marked, the windows
    moved one pixel at a time, a partial window kept at the edge of an odd size, the pool size
    used as the stride, a window's place in the pooled map used as its corner, row and column
    swapped inside the window, and the answer the other way round (the activations discarded).
    """
    import numpy as np

    def validate(answer: Any, expected: Any) -> str | None:
        try:
            values = np.asarray(answer)
        except Exception:  # noqa: BLE001 - not array-like at all
            values = None
        if values is None or values.dtype == object or values.ndim == 0:
            return f"not an array: return booleans, one per activation, not {type(answer).__name__}"
        if values.shape != expected.shape:
            smaller = zip(values.shape, expected.shape, strict=False)
            if values.ndim == 2 and all(a < e for a, e in smaller):
                return (
                    "smaller than the feature map, like the pooled map: one boolean is due per "
                    f"activation of the feature map, shape {expected.shape}"
                )
            return (
                f"shape {expected.shape} was due, one boolean per activation of the feature "
                f"map, not {values.shape}"
            )
        if values.dtype != bool and not np.isin(values, (0, 1)).all():
            return "not booleans: True for an activation a window keeps, False for one it discards"
        return None

    def mistake(**how) -> Callable:
        return lambda x, pool_size, stride: _marked_by_windows(x, pool_size, stride, **how)

    mistakes = [
        (
            "it looks like the smallest value of each window is marked: max pooling keeps the "
            "largest (np.argmax, not np.argmin)",
            mistake(pick="min"),
        ),
        (
            "it looks like every activation a window covers is marked: max pooling keeps one "
            "value per window, its largest, and discards the others",
            mistake(pick="all"),
        ),
        (
            "it looks like the windows move one pixel at a time: they start `stride` pixels "
            "apart (rows and columns 0, stride, 2 x stride, ...)",
            lambda x, pool_size, stride: _marked_by_windows(x, pool_size, 1),
        ),
        (
            "it looks like a partial window is kept at the edge: where the last rows or columns "
            "have no complete window, pooling drops them (it rounds down)",
            mistake(partial=True),
        ),
        (
            "it looks like the pool size is used as the stride: windows start `stride` pixels "
            "apart, so that 3x3 windows with stride 2 overlap",
            lambda x, pool_size, stride: _marked_by_windows(x, pool_size, pool_size),
        ),
        (
            "it looks like a window's place in the pooled map is used as its corner: window "
            "(i, j) starts at row i x stride and column j x stride",
            mistake(corner_step=1),
        ),
        (
            "it looks like the row and column inside the window are swapped: "
            "np.unravel_index(np.argmax(window), window.shape) gives (row, column), in that order",
            mistake(swapped=True),
        ),
        (
            "it looks like the answer is the other way round: True is due for the activations "
            "that max pooling keeps",
            lambda x, pool_size, stride: ~_tf_kept_by_max_pool(x.shape, pool_size, stride),
        ),
    ]

    def run() -> str:
        cases = [
            Case((_random_feature_map(shape),), {"pool_size": f, "stride": s})
            for f, s in _KEPT_WINDOWS
            for shape in _KEPT_SHAPES
        ]
        count = compare(
            kept_by_max_pooling,
            cases,
            lambda x, pool_size, stride: _tf_kept_by_max_pool(x.shape, pool_size, stride),
            mistakes,
            name="kept_by_max_pooling",
            validate=validate,
            source="tf.nn.max_pool2d",
        )
        return (
            f"kept_by_max_pooling agrees with tf.nn.max_pool2d on all {count} cases (random maps "
            "from 4x4 to 9x9; 2x2 windows with stride 2, 3x3 with stride 3, 3x3 with stride 2 "
            "and 2x2 with stride 1)."
        )

    return _judge(
        "kept_by_max_pooling (chapter 2)",
        kept_by_max_pooling,
        "booleans of the feature map's shape, True at each window's largest value",
        run,
    )


def ch2_counterexample(counterexample: Callable) -> Verdict:
    """Chapter 2, "your turn": ``counterexample()``, a 2x2 feature map ``x`` on which average
    pooling and ReLU do not commute.

    Computes both orders on the learner's ``x`` (one 2x2 window) with ``tf.nn.avg_pool2d``
    (padding VALID) and ``tf.nn.relu``: the answer is right when ``relu(avg_pool(x))`` and
    ``avg_pool(relu(x))`` differ by more than 1e-6. When they do not, says why: all four values
    zero or positive (ReLU changes none of them), all zero or negative (both orders give 0), or
    values so close to zero that the difference is lost in float32 rounding. Rejects what is
    not a 2x2 array of finite numbers (a wrong shape, booleans, text, NaN).
    """
    import numpy as np

    exercise = "counterexample (chapter 2)"

    def run() -> str:
        answer = _call(counterexample)
        shown = f"counterexample() returned {_short(answer)}"
        try:
            x = np.asarray(answer)
            numbers = x.dtype != bool and x.dtype != object and np.issubdtype(x.dtype, np.number)
        except Exception:  # noqa: BLE001 - not array-like at all
            numbers = False
        if not numbers:
            raise _Failed(f"{shown}: not numbers; return a 2x2 array of numbers, like a window")
        if x.shape != (2, 2):
            raise _Failed(
                f"{shown}: a 2x2 array was due (one 2x2 pooling window), not shape {x.shape}"
            )
        if not np.isfinite(x).all():
            raise _Failed(f"{shown}: every value must be a finite number")
        avg_first, relu_first = _tf_avg_pool_and_relu(x)
        both = f"relu(avg_pool(x)) = {avg_first:.4g} and avg_pool(relu(x)) = {relu_first:.4g}"
        if abs(avg_first - relu_first) > 1e-6:
            return (
                f"on your x, {both} (tf.nn.avg_pool2d and tf.nn.relu). ReLU first "
                "drops the negative values, so the mean of what is left is larger; the mean "
                "first lets them cancel positive ones, and ReLU cannot undo that."
            )
        if (x >= 0).all():
            why = (
                "all four values are zero or positive, so ReLU changes none of them and both "
                "orders take the same mean; mix positive and negative values"
            )
        elif (x <= 0).all():
            why = (
                "all four values are zero or negative, so ReLU makes them 0 and their mean is "
                "not positive either: both orders give 0; mix positive and negative values"
            )
        else:
            why = (
                "they differ by less than 1e-6, too little to tell from float32 rounding; use "
                "values further from zero"
            )
        raise _Failed(f"{shown}: {both} (tf.nn.avg_pool2d and tf.nn.relu): {why}.")

    return _judge(exercise, counterexample, "a 2x2 array of numbers", run)


def _tf_avg_pool_and_relu(x) -> tuple[float, float]:
    """``relu(avg_pool(x))`` and ``avg_pool(relu(x))`` of a 2x2 ``x``, by TensorFlow."""
    import tensorflow as tf

    window = tf.constant(x, dtype=tf.float32)[tf.newaxis, :, :, tf.newaxis]
    avg_first = tf.nn.relu(tf.nn.avg_pool2d(window, 2, 2, padding="VALID"))
    relu_first = tf.nn.avg_pool2d(tf.nn.relu(window), 2, 2, padding="VALID")
    return float(tf.reshape(avg_first, [])), float(tf.reshape(relu_first, []))


# ----------------------------------------------------------------------------------------------
# Chapter 3: padding

_PAD_SHAPES = ((2, 3), (3, 3), (4, 1), (5, 7), (8, 6))
"""The image shapes of ``ch3_pad_zeros``: small first, so that a first failure shows in full."""


def _pad_image(shape: tuple[int, int]):
    """A fixed image of ``shape``, whole values from 1 to 9: none is 0, so its border shows."""
    import numpy as np

    rows, cols = shape
    image = np.random.default_rng(10 * rows + cols).integers(1, 10, size=shape)
    image.flags.writeable = False  # the learner's function is given a copy
    return image


@functools.cache
def _tf_pad_zeros(shape: tuple[int, int], p: int):
    """``tf.pad`` of the image of ``shape`` with p zeros on each side: the reference of
    chapter 3's ``pad_zeros``."""
    import numpy as np
    import tensorflow as tf

    padded = np.asarray(tf.pad(_pad_image(shape), [[p, p], [p, p]], mode="CONSTANT"))
    padded.flags.writeable = False  # cached: shared by every call
    return padded


def ch3_pad_zeros(pad_zeros: Callable) -> Verdict:
    """Chapter 3, "your turn": ``pad_zeros(image, p)``, a 2-D image with p zeros on each side.

    Checks the learner's function against ``tf.pad`` (mode ``"CONSTANT"``, zeros) on fixed
    images of whole values from 1 to 9, of shapes 2x3, 3x3, 4x1, 5x7 and 8x6, with ``p`` from
    1 to 3 and then 0 (the image itself; last, so that a mistake first shows where there is a
    border). The function is given a copy of each image, which must come back unchanged. Names
    the typical mistakes: zeros on one side only (shape ``(H + p, W + p)``), a border of ones,
    of the edge values (NumPy's ``mode="edge"``) or of a reflection instead of zeros, the image
    one pixel off the centre, the input changed in place, and an answer that is not an
    ``(H + 2p, W + 2p)`` array.
    """
    import numpy as np

    name = getattr(pad_zeros, "__name__", "pad_zeros")
    last: dict[str, Any] = {}  # what `given_a_copy` saw in the case being checked

    def given_a_copy(image, p):
        copy = np.array(image)
        last.update(shape=image.shape, p=p, changed=False)
        answer = pad_zeros(copy, p)
        last["changed"] = copy.shape != image.shape or not np.array_equal(copy, image)
        return answer

    given_a_copy.__name__ = name

    def validate(answer: Any, expected: Any) -> str | None:
        if last["changed"]:
            return (
                "it changed the image it was given; build a new array for the padded image "
                "(np.zeros, then copy the image into its middle) and leave the input as it was"
            )
        try:
            shape = tuple(np.shape(answer))
        except Exception:  # noqa: BLE001 - not array-like at all
            shape = ()
        (height, width), p = last["shape"], last["p"]
        if len(shape) != 2:
            return (
                f"not a 2-D array: return the padded image, an array of shape (H + 2p, W + 2p) "
                f"= {expected.shape}"
            )
        if p > 0 and shape == (height + p, width + p):
            return (
                f"shape (H + p, W + p): it looks like zeros are added on one side only; zero "
                f"padding puts p rows above the image and p below, p columns on its left and p "
                f"on its right, so shape (H + 2p, W + 2p) = {expected.shape} is due"
            )
        if shape != expected.shape:
            return f"shape (H + 2p, W + 2p) = {expected.shape} is due, not {shape}"
        return None

    def off_centre(by: int) -> Callable:
        return lambda image, p: np.pad(image, [(p - by, p + by)] * 2)

    off_words = (
        "it looks like the image is one pixel off the centre: its top-left pixel goes to row p "
        "and column p of the padded image, with p rows or columns of zeros on every side"
    )
    mistakes = [
        (
            "it looks like the border is made of ones: zero padding surrounds the image with "
            "zeros (start from np.zeros, not np.ones)",
            lambda image, p: np.pad(image, p, constant_values=1),
        ),
        (
            "it looks like the border repeats the edge pixels (replicate padding, np.pad's mode=\""
            'edge"): zero padding puts zeros around the image, whatever its edge holds',
            lambda image, p: np.pad(image, p, mode="edge"),
        ),
        (
            "it looks like the border mirrors the image (reflect padding): zero padding puts "
            "zeros around the image",
            lambda image, p: np.pad(image, p, mode="reflect"),
        ),
        (off_words, off_centre(1)),
        (off_words, off_centre(-1)),
    ]

    def check(ps: Iterable[int]) -> int:
        cases = [Case((_pad_image(shape), p)) for p in ps for shape in _PAD_SHAPES]
        return compare(
            given_a_copy,
            cases,
            lambda image, p: _tf_pad_zeros(image.shape, p),
            mistakes,
            name=name,
            validate=validate,
            source="tf.pad",
        )

    def run() -> str:
        count = check([1, 2, 3])
        try:
            count += check([0])
        except _Failed as failure:
            raise _Failed(
                f"{failure.message.rstrip('.')}. With p = 0 nothing is added: the padded image "
                "is the image itself (note that a slice such as [p:-p] is empty when p is 0)."
            ) from None
        return (
            f"{name} agrees with tf.pad on all {count} cases (images of shapes 2x3 to 8x6, p from "
            "0 to 3), and leaves the image it is given unchanged."
        )

    return _judge("pad_zeros (chapter 3)", pad_zeros, "a new array, p zeros on each side", run)


@functools.cache
def _tf_same_split(f: int) -> tuple[int, int]:
    """Where TensorFlow's ``padding="SAME"`` (stride 1) puts the zeros for an f-pixel kernel.

    A kernel holding a single 1, at its first position, copies to output i the pixel i of the
    padded input. The answer is the ``(before, after)`` for which a valid convolution of the
    input padded explicitly (``tf.pad``) gives the output of ``"SAME"``: exactly one does, since
    the input's pixels all differ and none is 0. The reference of chapter 3's ``same_pads``.
    """
    import numpy as np
    import tensorflow as tf

    n = 9
    x = tf.constant(np.arange(1, n + 1, dtype="float32").reshape(1, n, 1, 1))
    kernel = np.zeros((f, 1, 1, 1), dtype="float32")
    kernel[0] = 1
    same = np.asarray(tf.nn.conv2d(x, kernel, strides=1, padding="SAME"))
    splits = []
    for before, after in itertools.product(range(f), repeat=2):
        padded = tf.pad(x, [[0, 0], [before, after], [0, 0], [0, 0]])
        out = np.asarray(tf.nn.conv2d(padded, kernel, strides=1, padding="VALID"))
        if out.shape == same.shape and np.array_equal(out, same):
            splits.append((before, after))
    (split,) = splits
    return split


def ch3_same_pads(same_pads: Callable) -> Verdict:
    """Chapter 3, "your turn": ``same_pads(f)``, the ``(before, after)`` padding that keeps the
    size (stride 1) for an f-pixel kernel, placed as Keras' ``padding="same"`` places it.

    Checks the learner's function on every ``f`` from 1 to 7 against the split that
    ``tf.nn.conv2d`` with ``padding="SAME"`` uses, found by comparing it with valid convolutions
    of explicitly padded inputs (see ``_tf_same_split``). Names the typical mistakes: an answer
    that is not a pair of ints (``/`` where ``//`` is due), f pixels in all instead of f - 1,
    ``(f - 1) // 2`` or ``f // 2`` on both sides (right for odd kernels only), the extra pixel of
    an even kernel put before (top, left) instead of after, or before and after swapped, and
    full padding (f - 1 on each side).
    """
    import numbers

    def validate(answer: Any, expected: tuple[int, int]) -> str | None:
        try:
            values = list(answer)
        except TypeError:
            values = None
        if values is None or len(values) != 2:
            return "not a pair: return two ints, (before, after)"
        if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
            return "not numbers: return two ints, (before, after)"
        if not all(isinstance(v, numbers.Integral) for v in values):
            return (
                "not whole numbers: a padding is a number of pixels, an int; divide with `//`, "
                "which rounds down and gives an int, rather than `/`"
            )
        return None

    def run() -> str:
        count = compare(
            same_pads,
            [Case((f,)) for f in range(1, 8)],
            _tf_same_split,
            [
                (
                    "it looks like both sides get (f - 1) // 2: that is right for an odd kernel, "
                    "but for an even one it adds f - 2 pixels in all, one too few, and the output "
                    "shrinks by one",
                    lambda f: ((f - 1) // 2, (f - 1) // 2),
                ),
                (
                    "it looks like both sides get f // 2: that is right for an odd kernel, but "
                    "for an even one it adds f pixels in all, one too many, and the output grows "
                    "by one",
                    lambda f: (f // 2, f // 2),
                ),
                (
                    "it looks like the padding adds f pixels in all: the output has n + before + "
                    "after - f + 1 pixels, which is n when before + after = f - 1",
                    lambda f: (f // 2, f - f // 2),
                ),
                (
                    "it looks like the extra pixel of an even kernel goes before (top, left), or "
                    "before and after are swapped: TensorFlow and Keras put it after, at the "
                    "bottom and on the right",
                    lambda f: (f // 2, (f - 1) // 2),
                ),
                (
                    "it looks like this is full padding, f - 1 on each side: the padding that "
                    "keeps the size adds f - 1 pixels in all, shared between the two sides",
                    lambda f: (f - 1, f - 1),
                ),
            ],
            name=getattr(same_pads, "__name__", "same_pads"),
            validate=validate,
            source='tf.nn.conv2d with padding="SAME"',
        )
        return (
            f'same_pads agrees with tf.nn.conv2d\'s padding="SAME" on all {count} kernel sizes '
            "(f from 1 to 7)."
        )

    return _judge("same_pads (chapter 3)", same_pads, "the pair (before, after)", run)


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


def _ch8_array(shape: tuple, *seed: int):
    """A float64 array of ``shape`` from a generator seeded with ``(8, *seed)``, read-only: the
    same on every run, and a learner's in-place change reports an error instead of spoiling the
    comparisons that follow."""
    import numpy as np

    array = np.random.default_rng((8, *seed)).standard_normal(shape)
    array.flags.writeable = False
    return array


def _ch8_pooled_shape(shape: tuple) -> tuple:
    n, h, w, c = shape
    return (n, h // 2, w // 2, c)


# Input shapes (N, H, W, C) of the average-pooling cases: even sizes first, then odd ones, whose
# last row or column the 2x2 windows leave out.
_CH8_AVG_POOL_SHAPES = ((1, 4, 4, 1), (2, 6, 6, 3), (3, 2, 4, 2), (1, 3, 4, 1), (2, 7, 9, 2))


def _ch8_avg_pool_case(shape: tuple) -> Case:
    """``(grad, x)``: a batch ``x`` of ``shape`` and an output gradient of the pooled shape. The
    first case, small enough to be shown in full, has whole numbers that read at a glance: the
    16 values 0 to 15 in a shuffled order, and output gradients that are multiples of 4."""
    import numpy as np

    k = _CH8_AVG_POOL_SHAPES.index(shape)
    if k > 0:
        return Case((_ch8_array(_ch8_pooled_shape(shape), 1, k), _ch8_array(shape, 0, k)))
    x = np.random.default_rng((8, 0, 0)).permutation(16).astype(float).reshape(shape)
    grad = np.array([4.0, 8.0, -4.0, 12.0]).reshape(_ch8_pooled_shape(shape))
    x.flags.writeable = grad.flags.writeable = False
    return Case((grad, x))


@functools.cache
def _ch8_tf_avg_pool_gradient(shape: tuple):
    """dL/dx of 2x2 average pooling, stride 2, for L = sum(avg_pool2d(x) * grad), by
    tf.GradientTape on tf.nn.avg_pool2d (the independent reference), on the case of ``shape``."""
    import numpy as np
    import tensorflow as tf

    grad, x = _ch8_avg_pool_case(shape).args
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.nn.avg_pool2d(x, ksize=2, strides=2, padding="VALID") * grad)
    result = np.asarray(tape.gradient(loss, x))
    result.flags.writeable = False  # cached: shared by every call
    return result


def _ch8_spread(grad, x, share):
    """Each output's gradient, times ``share`` (a (2, 2) array), on its window; 0 elsewhere."""
    import numpy as np

    n, ho, wo, c = grad.shape
    blocks = grad[:, :, np.newaxis, :, np.newaxis, :] * share[:, np.newaxis, :, np.newaxis]
    grad_x = np.zeros(x.shape)
    grad_x[:, : 2 * ho, : 2 * wo] = blocks.reshape(n, 2 * ho, 2 * wo, c)
    return grad_x


def ch8_average_pool_backward(average_pool_backward: Callable) -> Verdict:
    """Chapter 8, "your turn": ``average_pool_backward(grad, x)``, the backward pass of 2x2
    average pooling with stride 2 on a batch ``x`` of shape (N, H, W, C).

    The learner's function gets the output gradient ``grad`` (N, H // 2, W // 2, C) and must
    return dL/dx, of the shape of ``x``. Checked against ``tf.GradientTape`` through
    ``tf.nn.avg_pool2d`` (``padding="VALID"``) on five seeded float64 batches, even sizes first,
    then odd ones (a last row or column that no window reads gets 0). The typical mistakes
    named: the gradient not divided by 4 (each input gets the whole output gradient), the
    gradient sent to one input of each window only (max pooling's rule, or the top-left input),
    the gradients laid out with ``np.tile`` instead of ``np.repeat``; and, as unusable answers,
    a result of the output's shape, or one that leaves out the rows or columns of an odd size.
    """
    import numpy as np

    def validate(answer: Any, expected: Any) -> str | None:
        try:
            shape = tuple(np.shape(answer))
        except Exception:  # noqa: BLE001 - not array-like at all
            shape = None
        if shape is None or shape == () or isinstance(answer, tuple):
            return f"not an array: return dL/dx, one array, not {type(answer).__name__}"
        if shape == expected.shape:
            return None
        if shape == _ch8_pooled_shape(expected.shape):
            return (
                f"that is the output's shape; dL/dx has the shape of x, {expected.shape}: each "
                "output's gradient is shared by the four inputs of its window"
            )
        if shape[1:3] == tuple(2 * (s // 2) for s in expected.shape[1:3]):
            return (
                f"x has an odd size, {expected.shape}: the last row or column, which no window "
                "reads, is part of dL/dx too, with a gradient of 0"
            )
        return f"dL/dx must have the shape of x, {expected.shape}, not {shape}"

    def max_pool_rule(grad, x):
        n, ho, wo, c = grad.shape
        blocks = x[:, : 2 * ho, : 2 * wo].reshape(n, ho, 2, wo, 2, c)
        winner = blocks == blocks.max(axis=(2, 4), keepdims=True)  # random values: no ties
        grad_x = np.zeros(x.shape)
        to_winner = winner * grad[:, :, np.newaxis, :, np.newaxis, :]
        grad_x[:, : 2 * ho, : 2 * wo] = to_winner.reshape(n, 2 * ho, 2 * wo, c)
        return grad_x

    def tiled(grad, x):
        grad_x = np.zeros(x.shape)
        n, ho, wo, c = grad.shape
        grad_x[:, : 2 * ho, : 2 * wo] = np.tile(grad, (1, 2, 2, 1)) / 4
        return grad_x

    def run() -> str:
        count = compare(
            average_pool_backward,
            [_ch8_avg_pool_case(shape) for shape in _CH8_AVG_POOL_SHAPES],
            lambda grad, x: _ch8_tf_avg_pool_gradient(x.shape),
            [
                (
                    "it looks like the gradient is not divided by 4: each output is the mean of "
                    "four inputs, so a change in one input moves the output by a quarter of it",
                    lambda grad, x: _ch8_spread(grad, x, np.ones((2, 2))),
                ),
                (
                    "it looks like each window's gradient goes to its largest input only, the "
                    "rule of max pooling; in average pooling all four inputs count, a quarter each",
                    max_pool_rule,
                ),
                (
                    "it looks like each window's gradient goes to one input only (the top-left); "
                    "in average pooling all four inputs count, a quarter each",
                    lambda grad, x: _ch8_spread(grad, x, np.array([[1.0, 0.0], [0.0, 0.0]])),
                ),
                (
                    "it looks like the gradients land in the wrong windows: np.tile repeats the "
                    "whole map side by side, while np.repeat repeats each value in place, so that "
                    "output (i, j) reaches the window at rows 2i, 2i + 1 and columns 2j, 2j + 1",
                    tiled,
                ),
            ],
            name="average_pool_backward",
            validate=validate,
            source="tf.GradientTape on tf.nn.avg_pool2d",
        )
        return (
            f"average_pool_backward agrees with tf.GradientTape on tf.nn.avg_pool2d on all "
            f"{count} batches (even and odd sizes, 1 to 3 channels)."
        )

    return _judge(
        "average_pool_backward (chapter 8)",
        average_pool_backward,
        "dL/dx, a quarter of each output's gradient on its window",
        run,
    )


# Logits (N, classes) of the softmax cases: a small one first (shown in full when it fails), a
# batch of one last (where the mean is the sum).
_CH8_SOFTMAX_SHAPES = ((2, 3), (4, 5), (6, 10), (3, 3), (8, 2), (1, 4))


def _ch8_softmax_case(shape: tuple) -> Case:
    """``(logits, labels)``: logits of ``shape`` (standard normal values times 2), labels."""
    import numpy as np

    k = _CH8_SOFTMAX_SHAPES.index(shape)
    logits = np.asarray(_ch8_array(shape, 2, k) * 2)
    logits.flags.writeable = False
    labels = np.random.default_rng((8, 3, k)).integers(0, shape[1], shape[0])
    labels.flags.writeable = False
    return Case((logits, labels))


@functools.cache
def _ch8_tf_softmax_gradient(shape: tuple):
    """dL/dlogits of L = the mean of tf.nn.sparse_softmax_cross_entropy_with_logits, by
    tf.GradientTape (the independent reference), on the case of ``shape``."""
    import numpy as np
    import tensorflow as tf

    logits, labels = _ch8_softmax_case(shape).args
    z = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, z))
    result = np.asarray(tape.gradient(loss, z))
    result.flags.writeable = False  # cached: shared by every call
    return result


def ch8_softmax_cross_entropy_grad(softmax_cross_entropy_grad: Callable) -> Verdict:
    """Chapter 8, "your turn": ``softmax_cross_entropy_grad(logits, labels)``, the gradient of
    the mean cross-entropy of ``softmax(logits)`` with respect to the logits.

    The learner's function gets ``logits`` (N, classes) and integer ``labels`` (N,) and must
    return an array of the shape of ``logits``, (softmax - one_hot) / N. Checked against
    ``tf.GradientTape`` on the batch mean of ``tf.nn.sparse_softmax_cross_entropy_with_logits``,
    on six seeded float64 batches of 1 to 8 images and 2 to 10 classes. The typical mistakes
    named: the ``/ N`` missing (the gradient of the sum), the sign flipped, the one-hot not
    subtracted, the softmax taken over the batch axis instead of the classes; and, as unusable
    answers, a result of another shape, or a tuple (the loss and the gradient).
    """
    import numpy as np

    def validate(answer: Any, expected: Any) -> str | None:
        if isinstance(answer, tuple):
            return "a tuple: return the gradient alone, one array of the shape of the logits"
        try:
            shape = tuple(np.shape(answer))
        except Exception:  # noqa: BLE001 - not array-like at all
            shape = ()
        if shape == ():
            return f"not an array: return the gradient, not {type(answer).__name__}"
        if shape != expected.shape:
            return f"one number per logit is due, {expected.shape} like the logits, not {shape}"
        return None

    def softmax(logits, axis):
        e = np.exp(logits - logits.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def one_hot(logits, labels):
        return np.eye(logits.shape[1])[labels]

    def run() -> str:
        count = compare(
            softmax_cross_entropy_grad,
            [_ch8_softmax_case(shape) for shape in _CH8_SOFTMAX_SHAPES],
            lambda logits, labels: _ch8_tf_softmax_gradient(logits.shape),
            [
                (
                    "it looks like the division by N is missing, which is the gradient of the "
                    "sum of the losses; the loss is their mean over the N images of the batch",
                    lambda z, t: softmax(z, 1) - one_hot(z, t),
                ),
                (
                    "it looks like the sign is flipped: the gradient is softmax minus one-hot, "
                    "positive for the wrong classes (raising their logits raises the loss)",
                    lambda z, t: (one_hot(z, t) - softmax(z, 1)) / len(t),
                ),
                (
                    "it looks like the one-hot is not subtracted: the true class's entry is its "
                    "probability minus 1",
                    lambda z, t: softmax(z, 1) / len(t),
                ),
                (
                    "it looks like the softmax is taken over the batch (axis 0); each image's "
                    "probabilities are over its classes, axis=1, and sum to 1 along each row",
                    lambda z, t: (softmax(z, 0) - one_hot(z, t)) / len(t),
                ),
            ],
            name="softmax_cross_entropy_grad",
            validate=validate,
            source="tf.GradientTape on tf.nn.sparse_softmax_cross_entropy_with_logits",
        )
        return (
            "softmax_cross_entropy_grad agrees with tf.GradientTape on the mean of "
            f"tf.nn.sparse_softmax_cross_entropy_with_logits on all {count} batches (1 to 8 "
            "images, 2 to 10 classes)."
        )

    return _judge(
        "softmax_cross_entropy_grad (chapter 8)",
        softmax_cross_entropy_grad,
        "(softmax - one_hot) / N",
        run,
    )
