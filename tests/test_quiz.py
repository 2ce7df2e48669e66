"""utils.self_check: a question that answers back, its plain-text form, and its bad inputs.

The page side (the HTML form and its script answering a reader's clicks and typing) is tested in
Chromium by tests/test_browser.py, on the built book.
"""

from __future__ import annotations

import html
import json
import re

import pytest

import utils


def spec_of(check) -> dict:
    found = re.search(r"data-check='([^']*)'", check._repr_html_())
    return json.loads(html.unescape(found.group(1)))  # as the browser reads the attribute


def test_a_multiple_choice_question():
    check = utils.self_check(
        "Which layer has no weights?",
        choices=["Conv2D", "MaxPooling2D", "Dense"],
        answer="MaxPooling2D",
        explain="Pooling takes the largest value of each window.",
    )
    assert check.is_right("MaxPooling2D") and check.is_right(1) and not check.is_right("Dense")
    assert repr(check) == (
        "Check yourself: Which layer has no weights?\n  (a) Conv2D\n  (b) MaxPooling2D\n  (c) Dense"
    )
    page = check._repr_html_()
    assert page.count('type="radio"') == 3 and 'role="status"' in page
    assert spec_of(check) == {
        "kind": "choice",
        "answer": 1,
        "tolerance": 0.0,
        "explain": "Pooling takes the largest value of each window.",
        "hint": "Try again: reread the section above.",
    }


def test_a_number_question_with_a_tolerance():
    check = utils.self_check("Half of 3?", answer=1.5, explain="3 / 2.", tolerance=0.01)
    assert check.is_right("1.5") and check.is_right(1.505) and not check.is_right("1.52")
    assert check.is_right("1_5".replace("_", ".")) and not check.is_right("one and a half")
    assert spec_of(check)["kind"] == "number" and 'inputmode="decimal"' in check._repr_html_()
    assert utils.self_check("Size?", answer=1024, explain="32 x 32.").is_right("1,024")


def test_the_same_question_gets_the_same_id_every_run():
    first = utils.self_check("Q?", answer=1, explain="E.")
    again = utils.self_check("Q?", answer=1, explain="E.")
    other = utils.self_check("Another Q?", answer=1, explain="E.")
    assert first.id == again.id != other.id and first._repr_html_() == again._repr_html_()


def test_words_are_escaped_in_the_page():
    check = utils.self_check("Is 1 < 2 & 'x' \"y\"?", answer=1, explain="<b>yes</b>")
    page = check._repr_html_()
    assert "1 &lt; 2 &amp;" in page and "<b>yes</b>" not in page
    assert spec_of(check)["explain"] == "<b>yes</b>"  # shown as text by the script


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"question": " ", "answer": 1, "explain": "E."}, "needs a question and an explanation"),
        ({"question": "Q?", "answer": 1, "explain": ""}, "needs a question and an explanation"),
        ({"question": "Q?", "answer": "c", "explain": "E.", "choices": ["a", "b"]}, "not one of"),
        ({"question": "Q?", "answer": "a", "explain": "E.", "choices": ["a"]}, "at least two"),
        ({"question": "Q?", "answer": "a", "explain": "E.", "choices": ["a", "a"]}, "different"),
        ({"question": "Q?", "answer": "7", "explain": "E."}, "needs a number as its answer"),
        ({"question": "Q?", "answer": True, "explain": "E."}, "needs a number as its answer"),
        ({"question": "Q?", "answer": float("nan"), "explain": "E."}, "needs a number"),
        ({"question": "Q?", "answer": 1, "explain": "E.", "tolerance": -1}, "tolerance must"),
    ],
)
def test_bad_questions_get_clear_errors(kwargs, words):
    question = kwargs.pop("question")
    with pytest.raises(ValueError, match=words):
        utils.self_check(question, **kwargs)
