"""A Colab-like run of every chapter: the notebook alone, in a fresh environment.

For each notebook: copy it alone into an empty folder and execute it top to bottom with nbclient
in a kernel of a fresh virtual environment. That environment holds the newest versions that
``pyproject.toml`` allows (its loose dependencies, ``tensorflow-cpu`` from its ``cpu`` extra as
the CPU stand-in for Colab's ``tensorflow``, and ``ipykernel``/``nbclient`` to run the kernel),
but not the course package: the notebook's setup cell installs that, from this checkout, because
``CNN_COURSE_PIP_SOURCE`` points there (on Colab the default, the repository, is used). This
proves the Colab path and the loose version ranges, and that no chapter leans on files beside
it. One environment serves every notebook of the run; pip's cache makes it quick to rebuild.

Settings (environment variables):

- ``CNN_COURSE_COLAB_VENV``: where the environment goes (default: a temporary folder of the run).
- ``CNN_COURSE_COLAB_REUSE=1``: keep an environment already there instead of re-creating it
  (quicker when iterating on a chapter, but then not fresh).
- ``CNN_COURSE_COLAB_LIKE``: which notebooks to run: ``all`` (default), ``none``, or names or
  number prefixes separated by commas (``01,04_stride``); ``-06`` leaves chapter 06 out.
- ``CNN_COURSE_DATA`` is passed through to the kernel (offline data sets).

If the environment cannot be created for lack of network, the tests are skipped and say so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from reporting import report

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    from pip._vendor import tomli as tomllib

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

VENV_ENV = "CNN_COURSE_COLAB_VENV"
REUSE_ENV = "CNN_COURSE_COLAB_REUSE"
SELECT_ENV = "CNN_COURSE_COLAB_LIKE"
CELL_TIMEOUT = 1200  # seconds, as for nbval
PACKAGE = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
SECTION = "Colab-like run (fresh environment, notebook alone)"
# What pip says when it cannot reach the package index.
NETWORK_ERRORS = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Could not fetch URL",
    "ConnectionError",
    "ProxyError",
    "Read timed out",
    "No matching distribution found",
)
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


def requirements() -> list[str]:
    """The loose dependencies of pyproject.toml, its ``cpu`` extra, and what runs a kernel."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        *project["dependencies"],
        *project["optional-dependencies"]["cpu"],
        "ipykernel",
        "nbclient",
    ]


def _run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def clean_environment(venv: Path) -> dict[str, str]:
    """This process' environment, minus the project's own venv and settings, plus ``venv``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "IPYTHONDIR")
        and not key.startswith(("JUPYTER", "TF_", "CNN_COURSE_"))
    }
    project_bin = str(ROOT / ".venv" / "bin")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != project_bin]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def failure(stderr: str) -> str:
    """The useful end of the runner's stderr: the failing cell and its traceback, uncoloured."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    marker = text.rfind("CellExecutionError")
    return (text[marker:] if marker >= 0 else text)[-6000:]


@pytest.fixture(scope="session")
def colab_venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the newest versions pyproject.toml allows (once a run)."""
    location = os.environ.get(VENV_ENV)
    venv = Path(location).resolve() if location else tmp_path_factory.mktemp("colab") / "venv"
    python = venv / "bin" / "python"
    wanted = requirements()
    marker = venv / "colab-like-requirements.json"
    reuse = os.environ.get(REUSE_ENV) == "1"
    if reuse and python.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        report(SECTION, f"environment reused: {venv}")
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    created = _run([sys.executable, "-m", "venv", str(venv)])
    if created.returncode != 0:
        pytest.fail(f"python -m venv failed:\n{created.stdout}\n{created.stderr}")
    env = clean_environment(venv)
    for command in (
        [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "-q", *wanted],
    ):
        result = _run(command, env=env)
        if result.returncode != 0:
            output = result.stdout + result.stderr
            if any(error in output for error in NETWORK_ERRORS):
                pytest.skip(
                    "Colab-like run skipped: the fresh environment could not be installed "
                    f"(no network to the package index?):\n{output[-1500:]}"
                )
            pytest.fail(f"{' '.join(command[3:6])}... failed:\n{output[-4000:]}")
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps(wanted))
    freeze = _run([str(python), "-m", "pip", "freeze"], env=env).stdout.lower().splitlines()
    names = ("tensorflow-cpu", "keras", "numpy", "matplotlib", "ipywidgets", "ipykernel")
    versions = [line for line in freeze if line.split("==")[0].replace("_", "-") in names]
    report(SECTION, f"environment created in {seconds:.0f} s: {', '.join(versions)}")
    return venv


@pytest.fixture(scope="session")
def package_source(tmp_path_factory) -> Path:
    """A snapshot of this checkout (the files git would commit) for the setup cell to install.

    pip builds the package inside the folder it installs from; a snapshot keeps that build
    out of the working tree, and, like a clone of the repository, holds no ignored files.
    """
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed: {listed.stderr}")
    snapshot = tmp_path_factory.mktemp("checkout") / "cnn-course"
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return snapshot


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

    env = clean_environment(venv)
    env[nbs.PIP_SOURCE_ENV] = str(source)
    env["JUPYTER_DATA_DIR"] = str(workdir / "jupyter")  # no user kernels: the venv's own
    env["MPLCONFIGDIR"] = str(workdir / "matplotlib")
    if os.environ.get("CNN_COURSE_DATA"):
        env["CNN_COURSE_DATA"] = os.environ["CNN_COURSE_DATA"]
    python = str(venv / "bin" / "python")
    # The environment is shared: remove the course package an earlier setup cell installed.
    removed = _run([python, "-m", "pip", "uninstall", "-y", "-q", PACKAGE], env=env)
    if removed.returncode != 0:
        return [f"could not remove {PACKAGE} from {venv}: {removed.stderr[-2000:]}"], 0.0
    start = time.perf_counter()
    result = _run(
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
