"""The Colab-like run: a chapter copied alone into an empty folder and executed in a fresh
environment, as Colab runs it (``test_colab_like.py`` has the tests and says more).

:class:`Background` runs them, one after another, on a thread of its own, so that the test run
goes on meanwhile (``colab_like`` in ``conftest.py``).
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import environments
import nbformat
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

SET_ENV = "CNN_COURSE_COLAB_SET"
SELECT_ENV = "CNN_COURSE_COLAB_LIKE"
CELL_TIMEOUT = 2400  # seconds, as for nbval: a guard against a hang, not a speed limit
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
# The long trainings, shorter in the Colab-like run: the same code, on 4,096 training images
# instead of 55,000, and the one check that needs the full training loosened to match. The
# chapter's code still runs in Colab's package set, cell by cell; nbval runs the full training in
# the course's own set. Each replacement must match its chapter exactly once (``shortened``).
SHORTER = {
    "05_designing_a_cnn.ipynb": (
        (
            "design_train[:10_000], design_labels[:10_000]",
            "design_train[:2_000], design_labels[:2_000]",
        ),
        (
            "assert 0.94 < min(short_accuracy.values()) and max(short_accuracy.values()) < 0.98",
            "assert 0.5 < min(short_accuracy.values())",
        ),
        ("assert seeds_apart > designs_apart", "_ = seeds_apart > designs_apart"),
    ),
    "06_training.ipynb": (
        (
            "train(x_train, y_train, validation_data=(x_val, y_val))",
            "train(x_train[:4096], y_train[:4096], validation_data=(x_val, y_val))",
        ),
        ("assert fresh_accuracy >= 0.994,", "assert fresh_accuracy >= 0.95,"),
    ),
    "09_your_own_data.ipynb": (
        (
            "utils.train_seed_cnn(x_train, y_train, (x_val, y_val), epochs=2)",
            "utils.train_seed_cnn(x_train[:4096], y_train[:4096], (x_val, y_val), epochs=2)",
        ),
    ),
}
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


def shortened(notebook: Path) -> nbformat.NotebookNode:
    """``notebook`` with its long trainings shortened (``SHORTER``).

    Raises ``ValueError`` when a replacement no longer matches exactly one place in the chapter.
    """
    nb = nbformat.read(notebook, as_version=4)
    for old, new in SHORTER.get(notebook.name, ()):
        cells = [cell for cell in nb.cells if cell.cell_type == "code" and old in cell.source]
        found = sum(cell.source.count(old) for cell in cells)
        if found != 1:
            raise ValueError(
                f"{notebook.name}: the Colab-like run shortens {old!r}, found {found} times: "
                "update SHORTER in tests/colab_like.py"
            )
        cells[0].source = cells[0].source.replace(old, new)
    return nb


def run_alone(notebook: Path, venv: Path, source: Path, workdir: Path) -> tuple[list[str], float]:
    """Run ``notebook`` alone in ``venv`` as Colab would; return ``(problems, seconds)``.

    The notebook is copied alone into an empty folder, a probe cell is appended, and the copy is
    executed top to bottom with the setup cell installing the course package from ``source``;
    its long trainings are shortened (``SHORTER``).
    """
    folder = workdir / "content"  # Colab's working folder; only the notebook is in it
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    try:
        nb = shortened(notebook)
    except ValueError as error:
        return [str(error)], 0.0
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


class Background:
    """Colab-like runs, one at a time, on a thread of their own, in one shared environment.

    The environment of ``kind`` comes from ``registry`` (made on the thread, first); each
    :meth:`submit` queues :func:`run_alone` for a notebook and returns its ``Future``, whose
    result is ``(problems, seconds)``, or raises the registry's ``IndexUnreachable`` or
    ``InstallFailed``. One thread, because the runs share the environment (each removes the
    course package that the previous setup cell installed).
    """

    def __init__(self, registry: environments.Registry, kind: str, source: Path):
        self.kind, self.source = kind, source
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="colab-like")
        self._venv = self._executor.submit(registry.get, kind)
        self._runs: dict[Path, Future] = {}

    def venv(self) -> Path | RuntimeError:
        """The environment, or the error that making it raised (waits until it is made)."""
        return self._venv.result()

    def submit(self, notebook: Path, workdir: Path) -> Future:
        """Queue the Colab-like run of ``notebook`` in the empty folder ``workdir``."""
        future = self._executor.submit(self._run, notebook, workdir)
        self._runs.setdefault(notebook, future)
        return future

    def result(self, notebook: Path, workdir: Path) -> tuple[list[str], float]:
        """The run of ``notebook`` queued at the start, or a new one in ``workdir``."""
        future = self._runs.get(notebook) or self.submit(notebook, workdir)
        return future.result()

    def _run(self, notebook: Path, workdir: Path) -> tuple[list[str], float]:
        venv = self.venv()
        if isinstance(venv, RuntimeError):
            raise venv
        return run_alone(notebook, venv, self.source, workdir)

    def close(self) -> None:
        """Drop the runs not started yet; a run in progress finishes on its own."""
        self._executor.shutdown(wait=False, cancel_futures=True)
