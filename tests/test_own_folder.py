"""Chapter 9 on a learner's own folder: the one choice cell changed, every cell after it unchanged.

A folder such as a learner brings (four classes of grey JPEG photos of different sizes, with a
phone's HEIC photo among them) replaces the generated shapes; the image size and the channels
change in the same cell. The chapter's setup and imports, then every cell from the choice cell
to the end (the exercises on Fashion-MNIST left out), run in a fresh kernel and must not fail:
nothing after the choice may assume the shapes, their size or their colours.
"""

from __future__ import annotations

import os

import nbformat
import numpy as np
import pytest
import tensorflow as tf
from conftest import ROOT
from nbclient import NotebookClient

CHAPTER = ROOT / "book" / "09_your_own_data.ipynb"
CHOICE = "# The one cell to change for your own images"
FASHION_EXERCISES = ("# Exercise 1", "# Exercise 2")
CLASSES = ("bark", "leaf", "moss", "stone")


def learner_folder(root):
    """Four classes of 30 grey JPEGs, 40 to 90 pixels on a side, and one HEIC photo."""
    rng = np.random.default_rng(0)
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        for k in range(30):
            height, width = (int(n) for n in rng.integers(40, 91, size=2))
            y, x = np.mgrid[0:height, 0:width]
            stripes = np.sin((x * np.cos(label) + y * np.sin(label)) / (2 + label))
            pixels = 128 + 80 * stripes + rng.normal(0, 20, (height, width))
            pixels = np.clip(pixels, 0, 255).astype(np.uint8)[..., None]
            (root / name / f"IMG_{k:04}.jpg").write_bytes(tf.io.encode_jpeg(pixels).numpy())
    (root / "leaf" / "IMG_9999.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    return root


def choose(source: str, old: str, new: str) -> str:
    assert old in source, f"the choice cell no longer holds {old!r}: update this test"
    return source.replace(old, new)


def folder_section(folder):
    """The chapter's setup, imports and folder section, the choice set for ``folder``."""
    nb = nbformat.read(CHAPTER, as_version=4)
    start = next(i for i, cell in enumerate(nb.cells) if cell.source.startswith(CHOICE))
    choice = nb.cells[start].source
    choice = choose(choice, 'images_from = "shapes"', f"images_from = {str(folder)!r}")
    choice = choose(choice, "image_size = (32, 32)", "image_size = (24, 24)")
    choice = choose(choice, "channels = 3", "channels = 1")
    nb.cells[start].source = choice
    code = [cell for cell in nb.cells[:start] if cell.cell_type == "code"][:2]  # setup, imports
    rest = [cell for cell in nb.cells[start:] if not cell.source.startswith(FASHION_EXERCISES)]
    nb.cells = code + rest
    return nb


def stream_text(nb) -> str:
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    folder = learner_folder(root / "my_photos")
    nb = folder_section(folder)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(root)}},
    ).execute(env={**os.environ, "IPYTHONDIR": str(ROOT / ".ipython")})
    # (a failing cell raises nbclient's CellExecutionError, which names the cell)
    return nb


def test_every_cell_after_the_choice_runs_on_a_learners_folder(executed):
    text = stream_text(executed)
    assert f"class_names: {list(CLASSES)}" in text
    assert "one batch: images (32, 24, 24, 1)" in text
    assert "test" in text and "on 18 and 18 images" in text  # 120 images: 84, 18 and 18


def test_the_check_names_the_phone_photo_and_lets_training_go_on(executed):
    text = stream_text(executed)
    assert "leaf/IMG_9999.HEIC: a HEIC photo" in text and "Ready to train." in text
    assert "leaf: 30 usable images" in text
