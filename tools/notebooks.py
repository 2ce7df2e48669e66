"""What the maintenance scripts and the tests agree on about the chapters' notebooks.

The repository URL and branch are read from ``_config.yml`` (the one place that names them);
the setup cell and the "Open in Colab" badge of every chapter are derived from them here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PIP_SOURCE_ENV = "CNN_COURSE_PIP_SOURCE"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository() -> tuple[str, str]:
    """``(url, ref)`` of the repository, from ``_config.yml``: ``ref`` is the edition's tag."""
    repo = config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def notebooks() -> list[Path]:
    """The chapters' notebooks, in teaching order."""
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def setup_source() -> str:
    """Source of cell 2 of every chapter."""
    url, branch = repository()
    return f'''# Setup, the same in every chapter. On Colab it first installs the course package
# (the `utils` the chapters import) of this notebook's edition, from its release tag.
import os
import sys

if "google.colab" in sys.modules or "{PIP_SOURCE_ENV}" in os.environ:
    import subprocess

    default = "git+{url}@{branch}"
    source = os.environ.get("{PIP_SOURCE_ENV}", default)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)

import utils

utils.setup_notebook(seed=0)'''


def colab_url(notebook: Path) -> str:
    url, branch = repository()
    github_path = url.split("github.com/", 1)[1]
    relative = notebook.resolve().relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{github_path}/blob/{branch}/{relative}"


def badge(notebook: Path) -> str:
    return f"[![Open In Colab]({BADGE})]({colab_url(notebook)})"


def read(notebook: Path):
    return nbformat.read(notebook, as_version=4)


def write(nb, notebook: Path) -> None:
    nbformat.write(nb, notebook)


# Exercise solutions: the code cells after a chapter's "## Exercises" cell, each hidden whole
# (code and output) until the reader asks for it, in every place a chapter is read.
EXERCISES_HEADING = "## Exercises"
NO_EXERCISES = "no '## Exercises' cell"
NO_SOLUTIONS = "no solution cell after '## Exercises'"
"""The two problems :func:`hide_solutions` cannot fix: there is nothing to hide."""


def solution_heading(number: int) -> str:
    return f"#### Solution to exercise {number}"


def solution_id(number: int) -> str:
    return f"solution-{number}"


def solution_heading_metadata(number: int) -> dict:
    """The heading cell above a solution: Colab collapses its section (listed by this ``id`` in
    the notebook's ``colab.collapsed_sections``); the HTML book drops it (``remove-cell``) and
    shows the solution's own toggle instead."""
    return {"id": solution_id(number), "tags": ["remove-cell"]}


def _layout(metadata) -> dict:
    """A cell's metadata without its own alt text (``mystnb.image``), which the layouts keep."""
    layout = json.loads(json.dumps(metadata))
    mystnb = layout.get("mystnb", {})
    mystnb.pop("image", None)
    if "mystnb" in layout and not mystnb:
        del layout["mystnb"]
    return layout


def _with_kept(layout: dict, metadata) -> nbformat.NotebookNode:
    """``layout`` plus the cell's own alt text (``mystnb.image``), when it has one."""
    kept = json.loads(json.dumps(layout))
    image = metadata.get("mystnb", {}).get("image")
    if image is not None:
        kept.setdefault("mystnb", {})["image"] = json.loads(json.dumps(image))
    return nbformat.from_dict(kept)


def solution_metadata(number: int, tags: list[str]) -> dict:
    """A solution cell: hidden whole in the HTML book (``hide-cell``, with a toggle that names
    the exercise), source and outputs hidden in JupyterLab (``jupyter``), outputs collapsed in
    the classic notebook (``collapsed``)."""
    kept = [tag for tag in tags if tag not in ("hide-input", "hide-output", "hide-cell")]
    return {
        "collapsed": True,
        "jupyter": {"source_hidden": True, "outputs_hidden": True},
        "mystnb": {
            "code_prompt_show": f"Show the solution to exercise {number}",
            "code_prompt_hide": f"Hide the solution to exercise {number}",
        },
        "tags": ["hide-cell", *kept],
    }


def colab_metadata(count: int) -> dict:
    """The notebook's ``colab`` metadata: the sections of its ``count`` solutions, collapsed."""
    return {"collapsed_sections": [solution_id(n) for n in range(1, count + 1)]}


def exercises_index(nb) -> int | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and EXERCISES_HEADING in cell.source.splitlines():
            return index
    return None


def solutions(nb) -> list:
    """The solution code cells, in order (the code cells after the exercises' statements)."""
    index = exercises_index(nb)
    if index is None:
        return []
    return [cell for cell in nb.cells[index + 1 :] if cell.cell_type == "code"]


def solution_problems(nb) -> list[str]:
    """What differs from the layout :func:`hide_solutions` writes: after the exercises' cell,
    pairs of (heading, solution) to the end, and the notebook's Colab metadata listing them."""
    index = exercises_index(nb)
    if index is None:
        return [NO_EXERCISES]
    tail = nb.cells[index + 1 :]
    codes = solutions(nb)
    if not codes:
        return [NO_SOLUTIONS]
    problems = []
    if len(tail) != 2 * len(codes):
        problems.append("after '## Exercises', each solution must follow its own heading cell")
    for number, (heading, code) in enumerate(zip(tail[::2], tail[1::2], strict=False), start=1):
        if heading.cell_type != "markdown" or heading.source != solution_heading(number):
            problems.append(f"solution {number}: the cell above is not its heading")
        elif heading.get("id") != solution_id(number) or (
            heading.metadata != solution_heading_metadata(number)
        ):
            problems.append(f"solution {number}: its heading's id or metadata differ")
        if code.cell_type != "code" or _layout(code.metadata) != solution_metadata(
            number, code.metadata.get("tags", [])
        ):
            problems.append(f"solution {number}: not hidden whole (metadata differ)")
    if nb.metadata.get("colab") != colab_metadata(len(codes)):
        problems.append("notebook metadata 'colab' must list the solutions' sections, collapsed")
    return problems


def hide_solutions(nb) -> None:
    """Write the layout :func:`solution_problems` checks; the cells' sources and outputs stay."""
    index = exercises_index(nb)
    codes = solutions(nb)
    tail = []
    for number, code in enumerate(codes, start=1):
        heading = nbformat.v4.new_markdown_cell(
            solution_heading(number), metadata=solution_heading_metadata(number)
        )
        heading["id"] = solution_id(number)
        code.metadata = _with_kept(
            solution_metadata(number, code.metadata.get("tags", [])), code.metadata
        )
        tail += [heading, code]
    nb.cells = nb.cells[: index + 1] + tail
    nb.metadata["colab"] = colab_metadata(len(codes))


# "Your turn" exercises in a chapter's body: a stub cell for the learner (its first line starts
# with YOUR_TURN; it ends with a checker of utils.checks, whose stored output says "Not done
# yet"), then at once a solution that the checker passes, its code hidden in every place a
# chapter is read (its output, the checker's "Right", stays in view).
YOUR_TURN = "# Your turn"
A_SOLUTION = "# @title A solution"
"""First lines of a stub cell and of its solution (``@title``: Colab shows the title alone)."""

# Self-check questions (utils.self_check): the reader sees the question, never its code.
SELF_CHECK_CALL = "utils.self_check("
SELF_CHECK_TITLE = "# @title Check yourself"

YOUR_TURN_SOLUTION_METADATA = {
    "cellView": "form",
    "jupyter": {"source_hidden": True},
    "mystnb": {"code_prompt_show": "Show a solution", "code_prompt_hide": "Hide the solution"},
    "tags": ["hide-input"],
}
SELF_CHECK_METADATA = {
    "cellView": "form",
    "jupyter": {"source_hidden": True},
    "tags": ["remove-input"],
}


def _first_line(cell) -> str:
    return cell.source.split("\n", 1)[0] if cell.cell_type == "code" else ""


def your_turn_pairs(nb) -> list[tuple[int, int | None]]:
    """``(stub, solution)`` cell indices of each "your turn" (``None``: no solution follows)."""
    pairs = []
    for index, cell in enumerate(nb.cells):
        if _first_line(cell).startswith(YOUR_TURN):
            after = index + 1
            ok = after < len(nb.cells) and _first_line(nb.cells[after]).startswith(A_SOLUTION)
            pairs.append((index, after if ok else None))
    return pairs


def self_check_cells(nb) -> list[int]:
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and SELF_CHECK_CALL in cell.source
    ]


def interactive_problems(nb) -> list[str]:
    """What differs from the layout of "your turn" cells and self-checks (see above)."""
    problems = []
    for stub, solution in your_turn_pairs(nb):
        if solution is None:
            problems.append(f"cell {stub + 1}: a 'your turn' cell without a solution after it")
        elif _layout(nb.cells[solution].metadata) != YOUR_TURN_SOLUTION_METADATA:
            problems.append(f"cell {solution + 1}: a 'your turn' solution not hidden (metadata)")
    for index in self_check_cells(nb):
        cell = nb.cells[index]
        if not cell.source.startswith(SELF_CHECK_TITLE):
            problems.append(f"cell {index + 1}: a self-check must start with '{SELF_CHECK_TITLE}'")
        elif _layout(cell.metadata) != SELF_CHECK_METADATA:
            problems.append(f"cell {index + 1}: a self-check's code not hidden (metadata)")
    return problems


INTERACTIVE_UNFIXABLE = ("a 'your turn' cell without", "a self-check must start")
"""The problems of :func:`interactive_problems` that :func:`hide_interactive` cannot fix."""


def hide_interactive(nb) -> None:
    """Write the metadata :func:`interactive_problems` checks; sources and outputs stay."""
    for _, solution in your_turn_pairs(nb):
        if solution is not None:
            nb.cells[solution].metadata = _with_kept(
                YOUR_TURN_SOLUTION_METADATA, nb.cells[solution].metadata
            )
    for index in self_check_cells(nb):
        if nb.cells[index].source.startswith(SELF_CHECK_TITLE):
            nb.cells[index].metadata = _with_kept(SELF_CHECK_METADATA, nb.cells[index].metadata)
