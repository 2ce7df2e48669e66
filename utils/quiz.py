"""Self-check questions that answer back, in the HTML book, in Jupyter and on Colab.

:func:`self_check` returns a question (multiple choice, or a number to type) as a small HTML
form with its own JavaScript: the reader picks or types an answer, presses "Check" and reads
whether it is right, with the explanation once it is. Nothing runs on a server, so the question
works on the published pages without a kernel, and in a notebook's output on Colab or in
Jupyter. The question's words are also its plain-text form, for a screen reader or a terminal.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass
from numbers import Real

_STYLE = """<style>
.cnn-self-check { border: 1px solid rgba(127, 127, 127, 0.5); border-radius: 6px;
  padding: 0.6em 0.9em; margin: 0.8em 0; max-width: 48em; }
.cnn-self-check fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
.cnn-self-check legend { font-size: 1em; font-weight: normal; padding: 0; margin-bottom: 0.4em; }
.cnn-self-check label { display: block; margin: 0.15em 0; cursor: pointer; }
.cnn-self-check input[type=text] { width: 8em; margin-left: 0.4em; }
.cnn-self-check button { margin-top: 0.4em; padding: 0.15em 0.9em; cursor: pointer; }
.cnn-self-check .cnn-feedback { margin: 0.4em 0 0; min-height: 1.3em; }
.cnn-self-check .cnn-feedback.right { color: #116329; }
.cnn-self-check .cnn-feedback.wrong { color: #8a4500; }
@media (prefers-color-scheme: dark) {  /* a dark notebook (the book sets data-theme itself) */
  html:not([data-theme]) .cnn-self-check .cnn-feedback.right { color: #56d364; }
  html:not([data-theme]) .cnn-self-check .cnn-feedback.wrong { color: #f0a35e; }
}
</style>"""

# The reader's side, written once per question (each output must stand alone on Colab).
_SCRIPT = """<script>
(function () {
  var box = document.getElementById(%(id)s);
  if (!box) return;
  var spec = JSON.parse(box.getAttribute('data-check'));
  var feedback = box.querySelector('.cnn-feedback');
  function say(text, right) {
    feedback.textContent = text;
    feedback.className = 'cnn-feedback ' + (right ? 'right' : 'wrong');
  }
  function judge() {
    if (spec.kind === 'choice') {
      var picked = box.querySelector('input[type=radio]:checked');
      if (!picked) return say('Pick an answer first.', false);
      return Number(picked.value) === spec.answer
        ? say('Right. ' + spec.explain, true)
        : say('Not quite. ' + spec.hint, false);
    }
    var typed = box.querySelector('input[type=text]').value.replace(/[\\s,_]/g, '');
    var value = Number(typed);
    if (typed === '' || !isFinite(value)) return say('Type a number first.', false);
    var close = Math.abs(value - spec.answer) <= spec.tolerance;
    return close ? say('Right. ' + spec.explain, true) : say('Not quite. ' + spec.hint, false);
  }
  box.querySelector('button').addEventListener('click', judge);
  var typed = box.querySelector('input[type=text]');
  if (typed) typed.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') { event.preventDefault(); judge(); }
  });
})();
</script>"""


@dataclass(frozen=True)
class SelfCheck:
    """One self-check question; shown as HTML in notebooks and the book (``_repr_html_``)."""

    question: str
    choices: tuple[str, ...] | None
    answer: int | float
    explain: str
    hint: str
    tolerance: float

    @property
    def id(self) -> str:
        """A stable id, from the question's words (the same on every run)."""
        digest = hashlib.sha1(self.question.encode()).hexdigest()[:10]
        return f"self-check-{digest}"

    def is_right(self, response) -> bool:
        """Whether ``response`` (a choice's text or index, or a number) is right."""
        if self.choices is not None:
            if isinstance(response, str):
                return response == self.choices[self.answer]
            return response == self.answer
        try:
            value = float(str(response).replace(",", "").replace("_", "").strip())
        except ValueError:
            return False
        return abs(value - self.answer) <= self.tolerance

    def __repr__(self) -> str:
        lines = [f"Check yourself: {self.question}"]
        if self.choices is not None:
            lines += [f"  ({chr(ord('a') + k)}) {choice}" for k, choice in enumerate(self.choices)]
        else:
            lines.append("  (a number)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        spec = {
            "kind": "number" if self.choices is None else "choice",
            "answer": self.answer,
            "tolerance": self.tolerance,
            "explain": self.explain,
            "hint": self.hint,
        }
        legend_id = f"{self.id}-question"
        parts = [
            _STYLE,
            f'<div class="cnn-self-check" id="{self.id}" '
            f"data-check='{html.escape(json.dumps(spec), quote=True)}'>",
            f'<fieldset aria-labelledby="{legend_id}">',
            f'<legend id="{legend_id}"><strong>Check yourself.</strong> '
            f"{html.escape(self.question)}</legend>",
        ]
        if self.choices is None:
            parts.append(
                f'<label>Your answer:<input type="text" inputmode="decimal" '
                f'autocomplete="off" aria-describedby="{legend_id}"></label>'
            )
        else:
            for k, choice in enumerate(self.choices):
                parts.append(
                    f'<label><input type="radio" name="{self.id}" value="{k}"> '
                    f"{html.escape(choice)}</label>"
                )
        parts += [
            '<button type="button">Check</button>',
            '<p class="cnn-feedback" role="status" aria-live="polite"></p>',
            "</fieldset></div>",
            _SCRIPT % {"id": json.dumps(self.id)},
        ]
        return "\n".join(parts)


def self_check(
    question: str,
    *,
    answer,
    explain: str,
    choices: list[str] | tuple[str, ...] | None = None,
    hint: str = "Try again: reread the section above.",
    tolerance: float = 0.0,
) -> SelfCheck:
    """A self-check question for the end of a section.

    Parameters
    ----------
    question : str
        The question, in plain words.
    answer : str or number
        With ``choices``: the right choice's text. Without: the number to type.
    explain : str
        Shown once the answer is right: why it is right.
    choices : list of str, optional
        The choices of a multiple-choice question (at least two, all different).
    hint : str
        Shown after a wrong answer (it should not give the answer away).
    tolerance : float
        For a number: the largest difference from ``answer`` still counted as right.

    Returns
    -------
    SelfCheck
        Shown as the interactive question when it is a cell's last expression.

    Raises
    ------
    ValueError
        If the question or explanation is empty, ``answer`` is not one of ``choices``, the
        choices repeat, or a number question's ``answer`` or ``tolerance`` is not a number.
    """
    if not question.strip() or not explain.strip():
        raise ValueError("a self-check needs a question and an explanation of its answer")
    if choices is not None:
        choices = tuple(choices)
        if len(choices) < 2 or len(set(choices)) != len(choices):
            raise ValueError(f"give at least two different choices, got {list(choices)}")
        if answer not in choices:
            raise ValueError(f"the answer {answer!r} is not one of the choices {list(choices)}")
        return SelfCheck(question, choices, choices.index(answer), explain, hint, 0.0)
    if isinstance(answer, bool) or not isinstance(answer, Real) or not math.isfinite(answer):
        raise ValueError(f"a question without choices needs a number as its answer, got {answer!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, Real) or not tolerance >= 0:
        raise ValueError(f"tolerance must be a number >= 0, got {tolerance!r}")
    return SelfCheck(question, None, answer, explain, hint, float(tolerance))
