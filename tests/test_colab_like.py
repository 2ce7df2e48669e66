"""A Colab-like run of every chapter: the notebook alone, in Colab's own package set.

For each notebook: copy it alone into an empty folder and execute it top to bottom with nbclient
in a kernel of a fresh virtual environment. By default that environment holds Colab's own
versions (``tests/colab_versions.txt``, on Python 3.13 as on Colab where this machine has it),
but not the course package: the notebook's setup cell installs that, from this checkout, because
``CNN_COURSE_PIP_SOURCE`` points there (on Colab the default, the repository, is used). This
proves the Colab path as learners meet it, and that no chapter leans on files beside it. One
environment serves every notebook of the run (``test_environment`` in ``conftest.py``), and the
tests of ``test_environments.py`` share it.

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

import os
import re
import sys
import time
from pathlib import Path

import environments
import nbformat
import pytest
from conftest import ROOT
from reporting import report

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

SET_ENV = "CNN_COURSE_COLAB_SET"
SELECT_ENV = "CNN_COURSE_COLAB_LIKE"
CELL_TIMEOUT = 1200  # seconds, as for nbval
PACKAGE = environments.package_name()
SECTION = "Colab-like run (the notebook alone, in a fresh environment)"
# Run by the environment's own Python: execute a notebook in place with that environment's
# kernel; nbclient's CellExecutionError names the failing cell and shows its traceback.
RUNNER = """
import sys
import nbformat
from nbclient import NotebookClient

path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[3]}})
try:
    client.execute()
finally:
    nbformat.write(nb, path)
"""
# Appended to the copy of each notebook: where the kernel's Python and the course package live.
PROBE = "import sys\n\nimport utils\n\nprint(sys.prefix)\nprint(utils.__file__)"


def selected_notebooks() -> list[Path]:
    """The chapters ``CNN_COURSE_COLAB_LIKE`` selects: ``all`` (default), ``none``, or a list.

    The list holds names or number prefixes (``01,04_stride``); ``-`` in front of one leaves it
    out (``all,-06,-08`` runs every chapter but 06 and 08).
    """
    choice = os.environ.get(SELECT_ENV, "all").strip().lower()
    notebooks = nbs.notebooks()
    if choice in ("none", "0", "no"):
        return []
    parts = [part.strip() for part in choice.split(",") if part.strip()]
    wanted = [part for part in parts if not part.startswith("-")]
    unwanted = [part[1:] for part in parts if part.startswith("-")]
    return [
        path
        for path in notebooks
        if (not wanted or "all" in wanted or any(path.name.startswith(w) for w in wanted))
        and not any(path.name.startswith(u) for u in unwanted)
    ]


def colab_set() -> str:
    """The package set of the run, from ``CNN_COURSE_COLAB_SET``: ``colab`` or ``newest``."""
    kind = os.environ.get(SET_ENV, "colab").strip().lower()
    if kind not in ("colab", "newest"):
        raise ValueError(f"{SET_ENV} must be colab or newest, got {kind!r}")
    return kind


def failure(stderr: str) -> str:
    """The useful end of the runner's stderr: the failing cell and its traceback, uncoloured."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    marker = text.rfind("CellExecutionError")
    return (text[marker:] if marker >= 0 else text)[-6000:]


@pytest.fixture(scope="session")
def colab_venv(test_environment) -> Path:
    """The environment every chapter of the run shares (Colab's set by default)."""
    kind = colab_set()
    venv = test_environment(kind)
    report(SECTION, f"package set: {kind}")
    return venv


def run_alone(notebook: Path, venv: Path, source: Path, workdir: Path) -> tuple[list[str], float]:
    """Run ``notebook`` alone in ``venv`` as Colab would; return ``(problems, seconds)``.

    The notebook is copied alone into an empty folder, a probe cell is appended, and the copy is
    executed top to bottom with the setup cell installing the course package from ``source``.
    """
    folder = workdir / "content"  # Colab's working folder; only the notebook is in it
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    nbformat.write(nb, copy)

    env = environments.clean_environment(venv)
    env[nbs.PIP_SOURCE_ENV] = str(source)
    env["JUPYTER_DATA_DIR"] = str(workdir / "jupyter")  # no user kernels: the venv's own
    env["MPLCONFIGDIR"] = str(workdir / "matplotlib")
    python = str(environments.venv_python(venv))
    # The environment is shared: remove the course package an earlier setup cell installed.
    removed = environments.run([python, "-m", "pip", "uninstall", "-y", "-q", PACKAGE], env=env)
    if removed.returncode != 0:
        return [f"could not remove {PACKAGE} from {venv}: {removed.stderr[-2000:]}"], 0.0
    start = time.perf_counter()
    result = environments.run(
        [python, "-c", RUNNER, str(copy), str(CELL_TIMEOUT), str(folder)], env=env, cwd=folder
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        return [f"fails when run alone in a fresh environment:\n{failure(result.stderr)}"], seconds
    probe = nbformat.read(copy, as_version=4).cells[-1]
    printed = "".join(o.get("text", "") for o in probe.outputs if o.output_type == "stream").split()
    if len(printed) != 2:
        return [f"the probe cell printed {printed}"], seconds
    prefix, package = Path(printed[0]).resolve(), Path(printed[1]).resolve()
    problems = []
    if prefix != venv.resolve():
        problems.append(f"the kernel ran in {prefix}, not in {venv}")
    if not package.is_relative_to(venv.resolve()):
        problems.append(f"utils came from {package}, not from the package the setup cell installed")
    return problems, seconds


@pytest.mark.parametrize("notebook", selected_notebooks(), ids=lambda p: p.name)
def test_notebook_runs_alone_in_a_fresh_environment(notebook, colab_venv, package_source, tmp_path):
    problems, seconds = run_alone(notebook, colab_venv, package_source, tmp_path)
    report(SECTION, f"{notebook.name}: {'FAILED' if problems else 'ran'} in {seconds:.0f} s")
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
def test_a_notebook_that_leans_on_files_beside_it_fails_alone(colab_venv, package_source, tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "beside.txt").write_text("found")
    notebook = _notebook(
        book / "needs_a_file.ipynb", nbs.setup_source(), "open('beside.txt').read()"
    )
    problems, _ = run_alone(notebook, colab_venv, package_source, tmp_path / "run")
    assert len(problems) == 1 and "FileNotFoundError" in problems[0], problems


@pytest.mark.skipif(not selected_notebooks(), reason=f"{SELECT_ENV} selects no chapter")
def test_a_notebook_without_the_setup_cell_fails_alone(colab_venv, package_source, tmp_path):
    # The course package is not in the fresh environment: only the setup cell brings it.
    notebook = _notebook(tmp_path / "no_setup.ipynb", "import utils")
    problems, _ = run_alone(notebook, colab_venv, package_source, tmp_path / "run")
    assert len(problems) == 1 and "No module named 'utils'" in problems[0], problems
