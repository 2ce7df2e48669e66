"""A Colab-like run of every chapter: the notebook alone, in Colab's own package set.

For each notebook: copy it alone into an empty folder and execute it top to bottom with nbclient
in a kernel of a fresh virtual environment. By default that environment holds Colab's own
versions (``tests/colab_versions.txt``, on Python 3.13 as on Colab where this machine has it),
but not the course package: the notebook's setup cell installs that, from this checkout, because
``CNN_COURSE_PIP_SOURCE`` points there (on Colab the default, the repository, is used). This
proves the Colab path as learners meet it, and that no chapter leans on files beside it. The
long trainings (chapters 5, 6 and 9) run on fewer images there (``SHORTER`` in ``colab_like.py``):
the same code in Colab's set, while nbval runs them in full in the course's own set. One
environment serves every notebook of the run, and the tests of ``test_environments.py`` share it
(``environment_registry`` in ``conftest.py``).

The runs start with the test session and go on in the background, one after another, while the
other tests run (``colab_like`` in ``conftest.py``; the machinery is in ``colab_like.py``). These
tests are collected last, and collect the results.

Settings (environment variables):

- ``CNN_COURSE_COLAB_SET``: ``colab`` (default) or ``newest``, the newest versions that
  ``pyproject.toml`` allows (with ``tensorflow-cpu`` from its ``cpu`` extra), for a scheduled run
  that finds out early what the next versions break.
- ``CNN_COURSE_COLAB_LIKE``: which notebooks to run: ``all`` (default), ``none``, or names or
  number prefixes separated by commas (``01,04_stride``); ``-06`` leaves chapter 06 out.
- ``CNN_COURSE_ENVS`` and ``CNN_COURSE_ENVS_REUSE=1``: where the environments go, and keeping
  them between runs (see ``conftest.py``).
- ``CNN_COURSE_DATA`` is passed through to the kernel (offline data sets; see
  ``environments.clean_environment``).

If the package index cannot be reached at all, the tests are skipped and say so; any other
failure to install (a version conflict, a version that does not exist) fails them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from colab_like import SECTION, SELECT_ENV, SHORTER, nbs, selected_notebooks, shortened
from conftest import ROOT, usable_environment
from reporting import report


def run_in_background(colab_like, notebook: Path, workdir: Path) -> tuple[list[str], float]:
    """The Colab-like run of ``notebook``: skips or fails, saying why, without an environment."""
    usable_environment(colab_like.kind, colab_like.venv())
    return colab_like.result(notebook, workdir)


@pytest.mark.parametrize("notebook", selected_notebooks(), ids=lambda p: p.name)
def test_notebook_runs_alone_in_a_fresh_environment(notebook, colab_like, tmp_path):
    problems, seconds = run_in_background(colab_like, notebook, tmp_path)
    report(
        SECTION,
        f"{notebook.name} ({colab_like.kind} set): {'FAILED' if problems else 'ran'} in "
        f"{seconds:.0f} s",
    )
    assert not problems, f"{notebook.name} " + "\n".join(problems)


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nb.cells = [nbformat.v4.new_markdown_cell("# A test chapter")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)
    return path


@pytest.mark.skipif(not selected_notebooks(), reason=f"{SELECT_ENV} selects no chapter")
def test_a_notebook_that_leans_on_files_beside_it_fails_alone(colab_like, tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "beside.txt").write_text("found")
    notebook = _notebook(
        book / "needs_a_file.ipynb", nbs.setup_source(), "open('beside.txt').read()"
    )
    problems, _ = run_in_background(colab_like, notebook, tmp_path / "run")
    assert len(problems) == 1 and "FileNotFoundError" in problems[0], problems


@pytest.mark.skipif(not selected_notebooks(), reason=f"{SELECT_ENV} selects no chapter")
def test_a_notebook_without_the_setup_cell_fails_alone(colab_like, tmp_path):
    # The course package is not in the fresh environment: only the setup cell brings it.
    notebook = _notebook(tmp_path / "no_setup.ipynb", "import utils")
    problems, _ = run_in_background(colab_like, notebook, tmp_path / "run")
    assert len(problems) == 1 and "No module named 'utils'" in problems[0], problems


def test_the_shortened_trainings_match_their_chapters():
    for name, replacements in SHORTER.items():
        nb = shortened(ROOT / "book" / name)
        source = "\n".join(cell.source for cell in nb.cells)
        for old, new in replacements:
            assert new in source and old not in source, f"{name}: {old!r} was not shortened"


def test_a_shortening_that_no_longer_matches_is_an_error(tmp_path, monkeypatch):
    chapter = _notebook(tmp_path / "06_training.ipynb", "model, history = train(x, y)")
    monkeypatch.setitem(SHORTER, chapter.name, (("train(x_train, y_train)", "train(x, y)"),))
    with pytest.raises(ValueError, match="found 0 times: update SHORTER"):
        shortened(chapter)
