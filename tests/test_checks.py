"""utils.checks: each "your turn" checker passes the reference solution, says "Not done yet" for
the stub, and rejects the typical wrong answers with the words that name each mistake.

The wrong answers are written here as a learner would write them; the checkers' own answers come
from TensorFlow, so these tests hold the checkers to both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utils
from utils import checks


def stub(*args, **kwargs):
    raise NotImplementedError("your code here")


def assert_right(verdict):
    assert verdict.passed and verdict.status == checks.RIGHT, verdict.message
    assert verdict.message.startswith("Right: ")


def assert_wrong(verdict, *words):
    assert not verdict.passed and verdict.status == checks.WRONG, verdict.message
    assert verdict.message.startswith("Not right yet: ")
    for word in words:
        assert word in verdict.message, verdict.message


# ----------------------------------------------------------------------------------------------
# The verdicts themselves


def test_a_stub_is_not_done_yet_and_says_what_to_do():
    verdict = checks.ch4_output_size(stub)
    assert verdict.status == checks.NOT_DONE and not verdict
    assert verdict.message.startswith("Not done yet: stub still raises NotImplementedError")
    assert "Replace the `raise` line" in verdict.message and repr(verdict) == verdict.message


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def output_size(n, f, p=0, s=1):
        return n[0]

    assert_wrong(checks.ch4_output_size(output_size), "raised TypeError", "output_size(12, 5")


def test_something_else_than_a_function_is_named():
    assert_wrong(checks.ch4_output_size(24), "give the checker your function itself, not 24")


def test_compare_names_the_mistake_that_explains_every_answer():
    cases = [checks.Case((n,)) for n in range(1, 6)]
    mistakes = [("doubled", lambda n: 2 * n), ("plus one", lambda n: n + 1)]
    # n + 1 and 2n agree at n = 1 only: the mistake that gives every answer is named
    with pytest.raises(checks._Failed, match=r"f\(1\) returned 2, the reference gives 1: plus"):
        checks.compare(lambda n: n + 1, cases, lambda n: n, mistakes, name="f")
    assert checks.compare(lambda n: n, cases, lambda n: n, mistakes, name="f") == 5


# ----------------------------------------------------------------------------------------------
# Chapter 1: convolution

# ----------------------------------------------------------------------------------------------
# Chapter 2: pooling

# ----------------------------------------------------------------------------------------------
# Chapter 3: padding

# ----------------------------------------------------------------------------------------------
# Chapter 4: stride


def output_size_right(n, f, p=0, s=1):
    return (n + 2 * p - f) // s + 1


OUTPUT_SIZE_MISTAKES = {
    "rounds up": lambda n, f, p=0, s=1: math.ceil((n + 2 * p - f) / s) + 1,
    "the `+ 1` is missing": lambda n, f, p=0, s=1: (n + 2 * p - f) // s,
    "the padding is counted once": lambda n, f, p=0, s=1: (n + p - f) // s + 1,
    "the stride is left out": lambda n, f, p=0, s=1: n + 2 * p - f + 1,
}


def test_ch4_output_size_passes_the_formula_and_utils():
    assert_right(checks.ch4_output_size(output_size_right))
    assert_right(checks.ch4_output_size(lambda n, f, p=0, s=1: utils.output_size(n, f, p, s)))


@pytest.mark.parametrize("words", OUTPUT_SIZE_MISTAKES)
def test_ch4_output_size_names_each_typical_mistake(words):
    assert_wrong(checks.ch4_output_size(OUTPUT_SIZE_MISTAKES[words]), words, "tf.nn.conv2d gives")


def test_ch4_output_size_wants_an_integer():
    verdict = checks.ch4_output_size(lambda n, f, p=0, s=1: (n + 2 * p - f) / s + 1)
    assert_wrong(verdict, "returned 8.0: not an integer", "divide with `//`")
    assert_wrong(checks.ch4_output_size(lambda n, f, p=0, s=1: None), "not a number")


def unread_right(n, f, p=0, s=1):
    read = np.zeros(n + 2 * p, dtype=bool)
    for start in range(0, n + 2 * p - f + 1, s):
        read[start : start + f] = True
    return ~read[p : p + n]


def unread_in_padded_coordinates(n, f, p=0, s=1):
    read = np.zeros(n + 2 * p, dtype=bool)
    for start in range(0, n + 2 * p - f + 1, s):
        read[start : start + f] = True
    return ~read[:n]


def unread_at_the_end_only(n, f, p=0, s=1):
    unread = np.zeros(n, dtype=bool)
    rest = (n + 2 * p - f) % s - p
    if rest > 0:
        unread[n - rest :] = True
    return unread


def test_ch4_unread_pixels_passes_the_loop_and_utils():
    assert_right(checks.ch4_unread_pixels(unread_right))
    assert_right(checks.ch4_unread_pixels(lambda n, f, p=0, s=1: utils.unused_pixels(n, f, p, s)))
    as_list = checks.ch4_unread_pixels(lambda n, f, p=0, s=1: unread_right(n, f, p, s).tolist())
    assert_right(as_list)  # a list of booleans is an answer too


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda n, f, p=0, s=1: ~unread_right(n, f, p, s), "the other way round"),
        (unread_in_padded_coordinates, "counted in the padded input"),
        (unread_at_the_end_only, "only the end is counted"),
        (lambda n, f, p=0, s=1: np.zeros(n + 2 * p, dtype=bool), "its padding left out"),
        (lambda n, f, p=0, s=1: np.full(n, 0.5), "not booleans"),
    ],
)
def test_ch4_unread_pixels_names_each_typical_mistake(wrong, words):
    assert_wrong(checks.ch4_unread_pixels(wrong), words)


# ----------------------------------------------------------------------------------------------
# Chapter 8: a CNN from scratch
