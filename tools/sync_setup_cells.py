"""Keep the setup cell (cell 2), the Colab badge (cell 1) and the hidden solutions in sync.

Also the "your turn" solutions and the self-check questions: their code hidden
(``notebooks.hide_interactive``).

    python tools/sync_setup_cells.py          # rewrite notebooks that differ
    python tools/sync_setup_cells.py --check  # exit 1 and list them instead

Only the setup cell's source, the badge line and the solutions' headings and metadata change
(``notebooks.hide_solutions``: each solution hidden whole in the book, in Jupyter and on Colab);
outputs are left alone, and the setup cell prints nothing outside Colab, so stored outputs stay
valid.
"""

from __future__ import annotations

import argparse
import sys

import notebooks as nbs


def problems(nb, path) -> list[str]:
    found = []
    cells = nb.cells
    if len(cells) < 2 or cells[0].cell_type != "markdown" or cells[1].cell_type != "code":
        return ["cell 1 must be markdown (title, goals, badge) and cell 2 the code setup cell"]
    if cells[0].source.count("[![Open In Colab]") != 1 or nbs.badge(path) not in cells[0].source:
        found.append("cell 1 lacks the Open in Colab badge for this notebook")
    if cells[1].source != nbs.setup_source():
        found.append("cell 2 differs from the setup cell")
    return found + nbs.solution_problems(nb) + nbs.interactive_problems(nb)


def fix(nb, path) -> None:
    cells = nb.cells
    if nbs.BADGE_RE.search(cells[0].source):
        cells[0].source = nbs.BADGE_RE.sub(nbs.badge(path), cells[0].source)
    else:
        cells[0].source = cells[0].source.rstrip() + "\n\n" + nbs.badge(path)
    cells[1].source = nbs.setup_source()
    nbs.hide_solutions(nb)
    nbs.hide_interactive(nb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args()
    status = 0
    for path in nbs.notebooks():
        nb = nbs.read(path)
        found = problems(nb, path)
        if not found:
            continue
        unfixable = ("cell 1 must be", nbs.NO_EXERCISES, nbs.NO_SOLUTIONS)
        stuck = any(problem.startswith(unfixable) for problem in found) or any(
            words in problem for words in nbs.INTERACTIVE_UNFIXABLE for problem in found
        )
        if args.check or stuck:
            status = 1
            for problem in found:
                print(f"{path.name}: {problem}")
        else:
            fix(nb, path)
            nbs.write(nb, path)
            print(f"{path.name}: updated")
    return status


if __name__ == "__main__":
    sys.exit(main())
