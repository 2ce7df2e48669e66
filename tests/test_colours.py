"""Colours a reader with a colour-vision deficiency can read.

The reference is ``colorspacious``: its CAM02-UCS space, where a distance of about 1 is a
just-noticeable difference, and its simulation of deuteranopia, protanopia and tritanopia
(Machado, Oliveira and Fernandes 2009, at full severity). What is checked:

- every colour map the course names, in ``utils`` and in every chapter's code, is sequential
  with a lightness that only rises or only falls, or is the diverging ``SIGNED_CMAP``, and
  every call that draws with the diverging map centres it on zero;
- the red window outline stands out on every map of a grid that it is drawn on (in ``utils``
  and in every chapter's ``draw_grid`` calls), and the
  colours that tell a few things apart stay apart, for every kind of colour vision;
- no list of colours in a chapter's code holds two that one kind of colour vision confuses.
"""

from __future__ import annotations

import ast
import itertools
import sys

import colorspacious
import matplotlib as mpl
import matplotlib.colors as mcolors
import numpy as np
import pytest
from conftest import ROOT

import utils

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

VISION = ("normal", "deuteranomaly", "protanomaly", "tritanomaly")
DISTINCT = 10.0  # CAM02-UCS distance between colours that must be told apart
DIVERGING = {utils.SIGNED_CMAP}


def seen(rgb, vision: str) -> np.ndarray:
    """sRGB colours (values in 0..1, shape (..., 3)) as a reader with ``vision`` sees them."""
    rgb = np.asarray(rgb, dtype=float)
    if vision == "normal":
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)


def distance(a, b) -> np.ndarray:
    a, b = (colorspacious.cspace_convert(np.asarray(x), "sRGB1", "CAM02-UCS") for x in (a, b))
    return np.linalg.norm(a - b, axis=-1)


def rgb(colours) -> np.ndarray:
    return np.array([mcolors.to_rgb(colour) for colour in colours])


def closest_pair(colours, vision: str) -> tuple[float, str, str]:
    shown = seen(rgb(colours), vision)
    return min(
        (float(distance(shown[i], shown[j])), colours[i], colours[j])
        for i, j in itertools.combinations(range(len(colours)), 2)
    )


def lightness_is_monotonic(cmap: str) -> bool:
    colours = mpl.colormaps[cmap](np.linspace(0, 1, 256))[:, :3]
    lightness = colorspacious.cspace_convert(colours, "sRGB1", "CAM02-UCS")[:, 0]
    steps = np.diff(lightness)
    return bool(np.all(steps > 0) or np.all(steps < 0))


# What the course's code says about colour, read from its source.


def code_sources() -> dict[str, str]:
    """Every chapter's code cells and every module of ``utils``, by name."""
    sources = {path.name: path.read_text() for path in sorted((ROOT / "utils").glob("*.py"))}
    for path in nbs.notebooks():
        cells = [cell for cell in nbs.read(path).cells if cell.cell_type == "code"]
        for number, cell in enumerate(cells, 1):
            code = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            sources[f"{path.name}, code cell {number}"] = code
    return sources


NAMED = {"SIGNED_CMAP": utils.SIGNED_CMAP, "INPUT_CMAP": utils.INPUT_CMAP}
NAMED["OUTPUT_CMAP"] = utils.OUTPUT_CMAP


def colour_map_name(node: ast.AST) -> str | None:
    """The colour map an expression names: a string, or one of ``utils``' constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value in mpl.colormaps else None
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
    return NAMED.get(name)


def colour_map_problems(source: str, where: str) -> list[str]:
    """Colour maps in ``source`` that are neither sequential with a monotonic lightness nor
    the diverging map centred on zero (``vmin=-x, vmax=x`` or ``centre=0``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
            if name in mpl.colormaps and name not in DIVERGING:
                if not lightness_is_monotonic(name):
                    found.append(f"{where}: {name!r} is not sequential in lightness")
        if not isinstance(node, ast.Call):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if "cmap" not in keywords or colour_map_name(keywords["cmap"]) not in DIVERGING:
            continue
        centre = keywords.get("centre")
        centred = isinstance(centre, ast.Constant) and centre.value == 0
        if "vmin" in keywords and "vmax" in keywords:
            low, high = ast.unparse(keywords["vmin"]), ast.unparse(keywords["vmax"])
            centred = centred or low == f"-{high}"
        if not centred:
            call = ast.unparse(node)[:80]
            found.append(f"{where}: the diverging map is not centred on zero in {call}")
    return found


def outline_gap(cmap: str) -> float:
    """How far the red outline stays from the nearest colour of ``cmap``, for the kind of
    colour vision that brings them closest."""
    cells = mpl.colormaps[cmap](np.linspace(0, 1, 64))[:, :3]
    return min(
        float(distance(seen(cells, vision), seen(rgb([utils.HIGHLIGHT]), vision)).min())
        for vision in VISION
    )


def outline_problems(source: str, where: str) -> list[str]:
    """``draw_grid`` calls in ``source`` that outline cells in red on a map that hides it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("draw_grid")):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if "highlight" not in keywords or "highlight_color" in keywords:
            continue
        cmap = colour_map_name(keywords["cmap"]) if "cmap" in keywords else utils.INPUT_CMAP
        if cmap is not None and outline_gap(cmap) < DISTINCT:
            found.append(f"{where}: a red outline on {cmap!r}, {outline_gap(cmap):.1f} apart")
    return found


COLOUR_KEYWORDS = {"color", "colors", "colour", "colours", "ec", "edgecolor", "facecolor"}


def colour_lists(source: str) -> list[list[str]]:
    """Lists of two or more colours written out in ``source``: as a colour keyword's value, or
    with at least one colour in ``tab:``, ``#`` or ``C<n>`` form (not, say, channel names)."""
    tree = ast.parse(source)
    keyword_values = {
        id(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in COLOUR_KEYWORDS
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.List, ast.Tuple)) or len(node.elts) < 2:
            continue
        if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            continue
        colours = [element.value for element in node.elts]
        if not all(mcolors.is_color_like(colour) for colour in colours):
            continue
        written = any(c.startswith(("tab:", "#")) or c[:1] == "C" for c in colours)
        if written or id(node) in keyword_values:
            found.append(colours)
    return found


def confused_colours(colours: list[str]) -> list[str]:
    return [
        f"{first} and {second} are {gap:.1f} apart with {vision}"
        for vision in VISION
        for gap, first, second in [closest_pair(colours, vision)]
        if gap < DISTINCT
    ]


# The course's colours.


def test_every_colour_map_of_the_course_is_sequential_or_centred_on_zero():
    problems, maps = [], 0
    for where, source in code_sources().items():
        problems += colour_map_problems(source, where)
        maps += source.count("cmap")
    assert maps > 50  # the scan reads the chapters' figures
    assert not problems, "\n".join(problems)


def test_the_window_outline_stands_out_on_every_grid_it_is_drawn_on():
    for cmap in (utils.INPUT_CMAP, utils.OUTPUT_CMAP):
        assert outline_gap(cmap) >= DISTINCT, cmap
    assert not confused_colours([utils.HIGHLIGHT, utils.WINNER])
    problems = []
    for where, source in code_sources().items():
        problems += outline_problems(source, where)
    assert not problems, "\n".join(problems)


def test_the_category_colours_stay_apart_for_every_kind_of_colour_vision():
    assert not confused_colours(list(utils.CATEGORY_COLOURS))


def test_no_chapter_draws_with_colours_that_a_reader_confuses():
    problems, lists = [], 0
    for where, source in code_sources().items():
        for colours in colour_lists(source):
            lists += 1
            problems += [f"{where}: {p}" for p in confused_colours(colours)]
    assert lists >= 1
    assert not problems, "\n".join(problems)


# The checks themselves catch what they are for.


def test_a_rainbow_map_and_an_uncentred_diverging_map_are_caught():
    source = (
        'ax.imshow(x, cmap="jet")\n'
        'ax.imshow(x, cmap="RdBu_r", vmin=0, vmax=1)\n'
        "utils.draw_grid(k, ax, cmap=utils.SIGNED_CMAP)\n"
        'ax.imshow(x, cmap="RdBu_r", vmin=-limit, vmax=limit)\n'
        "utils.draw_grid(k, ax, cmap=utils.SIGNED_CMAP, centre=0)\n"
        'ax.imshow(x, cmap="magma", vmin=0)\n'
    )
    problems = sorted(colour_map_problems(source, "test"))
    assert len(problems) == 3, problems
    assert "'jet' is not sequential" in problems[0]
    assert "cmap='RdBu_r', vmin=0" in problems[1] and "utils.SIGNED_CMAP)" in problems[2]
    assert all("not centred on zero" in problem for problem in problems[1:])


def test_red_and_green_side_by_side_are_caught():
    source = 'colors = ["tab:red", "tab:green"]\nfor c in ["red", "green", "blue"]:\n    pass\n'
    (found,) = colour_lists(source)
    assert found == ["tab:red", "tab:green"]
    problems = confused_colours(found)
    assert any("deuteranomaly" in problem for problem in problems)
    assert confused_colours(["tab:blue", "tab:orange"]) == []


@pytest.mark.parametrize("cmap", ["Greens", "Oranges"])
def test_a_green_or_orange_grid_would_hide_the_red_outline(cmap):
    assert outline_gap(cmap) < DISTINCT
    source = f'utils.draw_grid(x, ax, highlight=(0, 0, 2, 2), cmap="{cmap}")\n'
    source += "utils.draw_grid(x, ax, highlight=(0, 0, 2, 2))\n"
    (problem,) = outline_problems(source, "test")
    assert f"a red outline on {cmap!r}" in problem
