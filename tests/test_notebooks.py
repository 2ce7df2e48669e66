"""Notebook hygiene: TOC coverage, identical setup cells, clean metadata, reproducible outputs."""

import base64
import json
import re
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT
from nbval.plugin import find_comment_markers, find_metadata_tags
from reporting import report
from test_book import toc_files

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

NOTEBOOKS = nbs.notebooks()


def test_every_notebook_is_in_the_toc_and_every_entry_exists():
    entries = toc_files()
    for entry in entries:
        assert (ROOT / f"{entry}.ipynb").exists() or (ROOT / f"{entry}.md").exists(), entry
    for path in NOTEBOOKS:
        assert path.relative_to(ROOT).with_suffix("").as_posix() in entries, (
            f"{path.name} not in TOC"
        )


def test_setup_cells_and_badges_are_in_sync():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_setup_cells.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_metadata_and_outputs_are_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "widget state is stored"
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") is not None
        if cell["outputs"]:
            assert cell["execution_count"] is not None, f"cell {index} has outputs but never ran"
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"cell {index} stores an error"
            text = "".join(output.get("text", ""))
            assert "oneDNN custom operations" not in text, f"cell {index} stores TF log lines"
            assert "absl::InitializeLog" not in text, f"cell {index} stores TF log lines"


# What must not be stored in a notebook: widget state, editor and Colab metadata, timings.
BLOAT_NOTEBOOK_METADATA = {"widgets", "colab", "vscode", "toc", "varInspector", "execution"}
BLOAT_CELL_METADATA = {"execution", "ExecuteTime", "colab", "outputId", "pycharm"}
BLOAT_OUTPUT_DATA = {
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
}
SIZE_BUDGET = 3_000_000  # bytes, outputs included
NBVAL_COVERAGE = 0.90  # of code cells with outputs, compared by nbval


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_widget_state_timings_or_editor_metadata_are_stored(path):
    nb = json.loads(path.read_text())
    stored = set(nb["metadata"])
    if set(nb["metadata"].get("colab", {})) == {"collapsed_sections"}:
        stored.discard("colab")  # the solutions' sections, collapsed on Colab (tools/notebooks.py)
    problems = [f"notebook metadata '{k}'" for k in BLOAT_NOTEBOOK_METADATA & stored]
    for index, cell in enumerate(nb["cells"], start=1):
        for key in BLOAT_CELL_METADATA & set(cell.get("metadata", {})):
            problems.append(f"cell {index}: metadata '{key}'")
        for output in cell.get("outputs", []):
            for key in BLOAT_OUTPUT_DATA & set(output.get("data", {})):
                problems.append(f"cell {index}: output '{key}'")
    assert not problems, f"{path.name} stores:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_size_is_within_budget(path):
    size = path.stat().st_size
    report("notebooks: size with outputs (budget 3.0 MB)", f"{path.name}: {size / 1e6:.2f} MB")
    assert size <= SIZE_BUDGET, f"{path.name} is {size / 1e6:.2f} MB, over the 3 MB budget"


def compared_by_nbval(cell) -> bool:
    """Whether strict nbval compares this cell's outputs (the tags and comments nbval reads)."""
    options = {"check": True, "skip": False}
    options.update(find_comment_markers(cell.source))
    options.update(find_metadata_tags(cell.metadata))
    return bool(options["check"]) and not options["skip"]


def nbval_coverage(path) -> tuple[int, int]:
    """``(compared, with_outputs)``: code cells with stored outputs, and those nbval compares."""
    cells = [c for c in nbs.read(path).cells if c.cell_type == "code" and c.get("outputs")]
    return sum(compared_by_nbval(c) for c in cells), len(cells)


def test_nbval_compares_at_least_90_percent_of_cells_with_outputs():
    section = "notebooks: code cells with outputs compared by nbval (at least 90 %)"
    compared = total = 0
    for path in NOTEBOOKS:
        done, cells = nbval_coverage(path)
        compared, total = compared + done, total + cells
        report(
            section, f"{path.name}: {done}/{cells}" + (f" ({done / cells:.0%})" if cells else "")
        )
    if not total:
        pytest.skip("no notebook has outputs yet")
    share = compared / total
    report(section, f"all chapters: {compared}/{total} ({share:.1%})")
    assert share >= NBVAL_COVERAGE, f"nbval compares {share:.1%} of cells with outputs"


def test_nbval_coverage_counts_ignored_and_skipped_cells():
    cell = nbformat.v4.new_code_cell
    assert compared_by_nbval(cell("x = 1"))
    assert compared_by_nbval(cell("x = 1", metadata={"tags": ["hide-input", "raises-exception"]}))
    assert not compared_by_nbval(cell("x", metadata={"tags": ["nbval-ignore-output"]}))
    assert not compared_by_nbval(cell("x", metadata={"tags": ["nbval-skip"]}))
    assert not compared_by_nbval(cell("# NBVAL_IGNORE_OUTPUT\nx"))
    assert not compared_by_nbval(cell("x\n#  NBVAL_SKIP"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_are_stored_with_twice_the_pixels_they_are_shown_with(path):
    """Sharp on high-density screens: each PNG output carries its display size in its metadata
    (IPython's "retina" format, set by ``utils.setup_notebook``), half its size in pixels."""
    problems = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"], start=1):
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            png = base64.b64decode(output["data"]["image/png"])
            pixels = int.from_bytes(png[16:20], "big")
            shown = output.get("metadata", {}).get("image/png", {}).get("width")
            if shown is None or abs(2 * shown - pixels) > 1:
                problems.append(f"cell {index}: {pixels} px wide, shown at {shown}")
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_setup_notebook_asks_ipython_for_retina_figures():
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    import utils

    shell = InteractiveShell.instance()
    fig, ax = plt.subplots(figsize=(2, 1), dpi=72)
    ax.plot([0, 1], [0, 1])
    try:
        with plt.rc_context():  # the course's style stays within this test
            utils.setup_notebook(seed=0)
            printer = shell.display_formatter.formatters["image/png"].lookup(fig)
            data, metadata = printer(fig)
    finally:
        plt.close(fig)
        InteractiveShell.clear_instance()
    assert int.from_bytes(base64.b64decode(data)[16:20], "big") == 2 * metadata["width"]


def test_setup_notebook_remembers_the_seed_it_was_given():
    import matplotlib.pyplot as plt

    import utils

    with plt.rc_context():  # the course's style stays within this test
        utils.setup_notebook(seed=7)
        assert utils.notebook.SEED == 7
        utils.setup_notebook(seed=0)
        assert utils.notebook.SEED == 0


def test_setup_notebook_gives_tensorflow_one_inter_op_thread_before_it_starts():
    """In a fresh process, as in a chapter's setup cell: one inter-op thread. Where TensorFlow
    has already run an operation, the setting cannot change and setup goes on without an error."""
    fresh = (
        "import utils, tensorflow as tf; utils.setup_notebook(seed=0); "
        "print(tf.config.threading.get_inter_op_parallelism_threads())"
    )
    started = (
        "import tensorflow as tf; tf.constant(1.0) + 1; import utils; "
        "print(utils.notebook.one_operation_at_a_time()); utils.setup_notebook(seed=0)"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.split()
        for code in (fresh, started)
    ]
    assert outputs == [["1"], ["False"]]


def test_the_solution_check_finds_a_solution_left_in_view():
    nb = nbs.read(NOTEBOOKS[1])
    assert nbs.solution_problems(nb) == []
    shown = nbs.read(NOTEBOOKS[1])
    nbs.solutions(shown)[0].metadata["tags"] = ["hide-input"]  # the output would show
    assert nbs.solution_problems(shown) == ["solution 1: not hidden whole (metadata differ)"]
    headless = nbs.read(NOTEBOOKS[1])
    del headless.cells[nbs.exercises_index(headless) + 1]
    assert "each solution must follow its own heading cell" in nbs.solution_problems(headless)[0]
    uncollapsed = nbs.read(NOTEBOOKS[1])
    del uncollapsed.metadata["colab"]
    assert nbs.solution_problems(uncollapsed) == [
        "notebook metadata 'colab' must list the solutions' sections, collapsed"
    ]
    nbs.hide_solutions(shown)
    assert nbs.solution_problems(shown) == []


def test_hidden_cells_keep_their_alt_text_and_nothing_else_of_their_own():
    nb = nbs.read(NOTEBOOKS[1])
    solution = nbs.solutions(nb)[0]
    alt = {"alt": "Two feature maps side by side, the pooled one half the size"}
    solution.metadata["mystnb"]["image"] = alt
    assert nbs.solution_problems(nb) == []  # alt text is the cell's own: allowed
    solution.metadata["scrolled"] = True
    assert nbs.solution_problems(nb) == ["solution 1: not hidden whole (metadata differ)"]
    nbs.hide_solutions(nb)
    assert nbs.solution_problems(nb) == [] and solution.metadata["mystnb"]["image"] == alt
    assert "scrolled" not in nbs.solutions(nb)[0].metadata


DEVICE_DEPENDENT = re.compile(
    r"list_(physical|logical)_devices|gpu_device_name|is_gpu_available|is_built_with_cuda"
    r"|Strategy\(|strategy\.|worker_devices|num_replicas_in_sync"
)
"""Code that asks which devices there are, or trains across them: its output differs on a GPU."""


def device_dependent_cells(nb) -> list[int]:
    """Indices of code cells whose output nbval compares although it depends on the device."""
    return [
        index
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.get("outputs")
        and DEVICE_DEPENDENT.search(cell.source)
        and compared_by_nbval(cell)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_compared_output_depends_on_the_device(path):
    """On Colab's GPU runtime (or a laptop's GPU) every compared output reads the same."""
    cells = device_dependent_cells(nbs.read(path))
    assert not cells, f"cells {cells} print what depends on the devices: tag nbval-ignore-output"


def test_a_device_dependent_cell_is_found():
    nb = nbformat.v4.new_notebook()
    printed = [nbformat.v4.new_output("stream", text="GPUs: 0\n")]
    nb.cells = [
        nbformat.v4.new_code_cell("print(tf.config.list_physical_devices('GPU'))", outputs=printed),
        nbformat.v4.new_code_cell("with strategy.scope():\n    m = build()", outputs=printed),
        nbformat.v4.new_code_cell("print(2 + 2)", outputs=printed),
    ]
    assert device_dependent_cells(nb) == [0, 1]
    nb.cells[0].metadata["tags"] = ["nbval-ignore-output"]
    assert device_dependent_cells(nb) == [1]


def test_the_interactive_layout_is_checked_and_fixed():
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        code("# Your turn: write f\ndef f():\n    raise NotImplementedError"),
        code("# @title A solution\ndef f():\n    return 1"),
        code("# Your turn: write g"),  # no solution after it
        code(nbs.SELF_CHECK_TITLE + "\nutils.self_check('Q?', answer=1, explain='E.')"),
        code("utils.self_check('Q?', answer=1, explain='E.')"),  # no title: Colab would show it
    ]
    assert nbs.interactive_problems(nb) == [
        "cell 2: a 'your turn' solution not hidden (metadata)",
        "cell 3: a 'your turn' cell without a solution after it",
        "cell 4: a self-check's code not hidden (metadata)",
        f"cell 5: a self-check must start with '{nbs.SELF_CHECK_TITLE}'",
    ]
    nbs.hide_interactive(nb)
    assert nbs.interactive_problems(nb) == [
        "cell 3: a 'your turn' cell without a solution after it",
        f"cell 5: a self-check must start with '{nbs.SELF_CHECK_TITLE}'",
    ]
    assert nb.cells[1].metadata["tags"] == ["hide-input"]
    assert nb.cells[3].metadata["cellView"] == "form"


ALT_MIN_LENGTH = 40  # characters: a sentence that says what the figure shows, not a label
_ANIMATION_IMG = re.compile(r'<img style="width: \d+px"(?: alt="([^"]*)")? id="_anim_img')


def alt_text_problems(nb) -> list[str]:
    """Figures and animations of a notebook without alt text written for them.

    A figure's alt text lives in its cell's metadata (``mystnb: image: alt``), where MyST-NB reads
    it for the HTML book, so it survives re-execution; a cell holds one figure, so that the text
    belongs to it. An animation's is the ``alt`` of ``utils.animation_html``, stored in its HTML.
    """
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        figures = sum("image/png" in output.get("data", {}) for output in cell["outputs"])
        alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        if figures > 1:
            problems.append(f"cell {index} holds {figures} figures: one per cell, each described")
        if figures and len(alt.strip()) < ALT_MIN_LENGTH:
            problems.append(f"cell {index}: its figure has no alt text in mystnb.image.alt")
        for output in cell["outputs"]:
            html = "".join(output.get("data", {}).get("text/html", ""))
            for described in _ANIMATION_IMG.findall(html):
                if len(described.strip()) < ALT_MIN_LENGTH:
                    problems.append(f"cell {index}: an animation without alt= in animation_html")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_and_animation_has_alt_text_written_for_it(path):
    nb = json.loads(path.read_text())
    problems = alt_text_problems(nb)
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def test_a_figure_or_animation_without_alt_text_is_found():
    figure = {"output_type": "display_data", "data": {"image/png": "x"}, "metadata": {}}
    player = '<img style="width: 400px" id="_anim_img0">'
    described = "A kernel of ones slides over a 3x3 image, one window per frame"
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [figure]},
            {"cell_type": "code", "metadata": {}, "outputs": [figure, figure]},
            {
                "cell_type": "code",
                "metadata": {"mystnb": {"image": {"alt": described}}},
                "outputs": [figure],
            },
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "display_data", "data": {"text/html": player}}],
            },
        ]
    }
    assert alt_text_problems(nb) == [
        "cell 0: its figure has no alt text in mystnb.image.alt",
        "cell 1 holds 2 figures: one per cell, each described",
        "cell 1: its figure has no alt text in mystnb.image.alt",
        "cell 3: an animation without alt= in animation_html",
    ]
