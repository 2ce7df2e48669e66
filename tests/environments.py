"""The virtual environments the tests build, beside the project's own ``.venv``.

Three package sets, each installed into a fresh virtual environment at most once a test run and
shared by every test that needs it (the fixtures in ``conftest.py``):

- ``colab``: Colab's own versions, from ``tests/colab_versions.txt`` (which names its source
  and date), on Colab's Python where this machine has it (``$CNN_COURSE_COLAB_PYTHON``, or a
  ``python3.13`` on the PATH or from pyenv), else on the Python of this test run, which then
  stands in for it;
- ``lower``: the lower bounds of ``pyproject.toml``, each ``>=`` taken as ``==`` (its
  dependencies and its ``cpu`` extra): the oldest versions the course promises;
- ``newest``: the newest versions ``pyproject.toml`` allows.

None of them holds the course package: a test installs it, or puts the checkout on
``PYTHONPATH``. ``nbclient`` comes along in each, to run notebooks in the environment's kernel.

A failed install is a failure, whatever pip said, unless the package index cannot be reached at
all (no network): only then is it reported as :class:`IndexUnreachable`, which the tests turn
into a skip that says so.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from build import venv_bin  # noqa: E402  (where a virtual environment keeps its programs)

COLAB_VERSIONS = ROOT / "tests" / "colab_versions.txt"
KINDS = ("colab", "lower", "newest")
RUNNER_PACKAGES = ("nbclient",)  # runs a notebook in the environment's kernel; not on Colab's list
REPORTED = ("python", "tensorflow", "tensorflow-cpu", "keras", "numpy", "matplotlib", "ipywidgets")


class IndexUnreachable(RuntimeError):
    """pip could not reach the package index at all: nothing can be installed here."""


class InstallFailed(RuntimeError):
    """pip reached the index and still failed: a version conflict, or a version that does not
    exist. Always a failure of the test run."""


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def package_name() -> str:
    """The course package's distribution name (``cnn-course``)."""
    return pyproject()["name"]


def canonical(name: str) -> str:
    """A distribution name as pip compares them: lower case, runs of ``-_.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> list[str]:
    """The requirement lines of a pip requirements file, without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def lower_bounds() -> list[str]:
    """pyproject.toml's dependencies and ``cpu`` extra, each at its lower bound (``==``).

    Every requirement must have exactly one ``>=`` bound: a lower bound is a promise, and this
    is where it is kept.

    >>> any(line.startswith("numpy==") for line in lower_bounds())
    True
    """
    project = pyproject()
    pins = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["cpu"]]:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
        if not match:
            raise ValueError(
                f"pyproject.toml: {requirement!r} must be NAME>=VERSION, so that its lower bound "
                "can be installed and tested"
            )
        pins.append(f"{match[1]}=={match[2]}")
    return pins


def requirements(kind: str) -> list[str]:
    """What the environment of ``kind`` (one of :data:`KINDS`) installs."""
    if kind == "colab":
        packages = read_requirements(COLAB_VERSIONS)
    elif kind == "lower":
        packages = lower_bounds()
    elif kind == "newest":
        project = pyproject()
        packages = [*project["dependencies"], *project["optional-dependencies"]["cpu"], "ipykernel"]
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return [*packages, *RUNNER_PACKAGES]


def colab_python_version() -> str:
    """Colab's Python version, from the ``# Python: 3.13`` line of ``colab_versions.txt``."""
    match = re.search(r"^# Python: (3\.\d+)\s*$", COLAB_VERSIONS.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{COLAB_VERSIONS.name} has no '# Python: 3.NN' line")
    return match[1]


def interpreter(kind: str) -> str:
    """The Python that creates the environment of ``kind``.

    For ``colab``, Colab's own Python version if this machine has one that can make a virtual
    environment (``$CNN_COURSE_COLAB_PYTHON``, ``python3.N`` on the PATH, or pyenv's); otherwise,
    and for the other kinds, the Python running the tests.
    """
    if kind != "colab":
        return sys.executable
    version = colab_python_version()
    explicit = os.environ.get("CNN_COURSE_COLAB_PYTHON")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(glob.glob(str(pyenv / f"{version}*" / "bin" / f"python{version}")))
    candidates = [explicit] if explicit else [shutil.which(f"python{version}"), *found]
    check = f"import sys, venv, ensurepip; assert sys.version.startswith('{version}.')"
    for candidate in filter(None, candidates):
        if run([candidate, "-c", check]).returncode == 0:
            return candidate
    if explicit:
        raise InstallFailed(f"CNN_COURSE_COLAB_PYTHON={explicit} is not a working Python {version}")
    return sys.executable


def venv_python(venv: Path) -> Path:
    """The Python of a virtual environment, on Windows as elsewhere."""
    return venv_bin("python", venv)


def clean_environment(venv: Path) -> dict[str, str]:
    """This process' environment, minus the project's own venv and settings, plus ``venv``.

    ``CNN_COURSE_DATA`` (offline data sets) is the one course setting passed through.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "IPYTHONDIR")
        and not key.startswith(("JUPYTER", "TF_", "CNN_COURSE_"))
    }
    if os.environ.get("CNN_COURSE_DATA"):
        env["CNN_COURSE_DATA"] = os.environ["CNN_COURSE_DATA"]
    project_bin = str(venv_python(ROOT / ".venv").parent)
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != project_bin]
    env["PATH"] = os.pathsep.join([str(venv_python(venv).parent), *path])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def run(command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)


def index_unreachable(python: Path, env: dict[str, str] | None = None) -> str | None:
    """Why the package index cannot be reached with ``python``'s pip, or None if it can.

    Asks the index for the versions of ``pip`` itself, which every Python package index serves:
    a ``No matching distribution`` for a course requirement, with this answer None, is a real
    failure, not a missing network.
    """
    result = run([python, "-m", "pip", "index", "versions", "pip"], env=env)
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip()[-1500:] or f"pip exited {result.returncode}"


def pip_install(python: Path, arguments: list[str], env: dict[str, str] | None = None) -> str:
    """``python -m pip install ARGUMENTS``; return pip's output.

    Raises
    ------
    IndexUnreachable
        pip failed, and the package index cannot be reached at all.
    InstallFailed
        pip failed otherwise (a conflict, a version that does not exist, a failed build).
    """
    result = run([python, "-m", "pip", "install", *arguments], env=env)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise _failure(python, env, f"pip install {' '.join(arguments)[:300]}", output)
    return output


def _failure(python: Path, env, what: str, output: str) -> RuntimeError:
    """The error for a failed pip command: IndexUnreachable if the index is out of reach."""
    unreachable = index_unreachable(python, env)
    if unreachable:
        return IndexUnreachable(f"the package index cannot be reached:\n{unreachable}")
    return InstallFailed(f"{what} failed:\n{output[-4000:]}")


def installed_versions(python: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """``{canonical name: version}`` of every distribution in ``python``'s environment."""
    listed = run([python, "-m", "pip", "list", "--format", "json"], env=env)
    if listed.returncode != 0:
        raise InstallFailed(f"pip list failed: {listed.stderr[-2000:]}")
    return {canonical(item["name"]): item["version"] for item in json.loads(listed.stdout)}


def install_changes(python: Path, source, env: dict[str, str] | None = None) -> list[str]:
    """What ``pip install SOURCE`` would change among the packages already installed.

    From pip's dry-run report: each distribution it would install that is already there in
    another version (``name 7.7.1 -> 8.1.9``), or that is not there yet (``name (new) 1.0``),
    leaving out the course package itself.
    """
    before = installed_versions(python, env)
    report = run(
        [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", str(source)],
        env=env,
    )
    if report.returncode != 0:
        raise _failure(python, env, f"pip install --dry-run {source}", report.stderr)
    changes = []
    for item in json.loads(report.stdout)["install"]:
        name = canonical(item["metadata"]["name"])
        version = item["metadata"]["version"]
        if name == canonical(package_name()):
            continue
        if name in before:
            changes.append(f"{name} {before[name]} -> {version}")
        else:
            changes.append(f"{name} (new) {version}")
    return changes


def create(venv: Path, kind: str, reuse: bool = False) -> tuple[dict[str, str], float]:
    """Make ``venv`` a fresh environment of ``kind``; return its versions and the seconds taken.

    The versions include ``python``, the environment's Python version.

    With ``reuse``, an environment already there that was made by the same Python from the same
    requirements is kept (quicker when iterating, but then not fresh). The versions installed are
    checked against the pins: an environment that pip resolved to other versions than asked is a
    failure.
    """
    wanted = requirements(kind)
    base = interpreter(kind)
    python = venv_python(venv)
    marker = venv / "cnn-course-requirements.json"
    made_from = {"python": base, "requirements": wanted}
    kept = reuse and python.exists() and marker.exists()
    if kept and json.loads(marker.read_text()) == made_from:
        return _versions(python, clean_environment(venv)), 0.0
    shutil.rmtree(venv, ignore_errors=True)
    start = time.perf_counter()
    created = run([base, "-m", "venv", venv])
    if created.returncode != 0:
        raise InstallFailed(f"python -m venv failed:\n{created.stdout}\n{created.stderr}")
    env = clean_environment(venv)
    pip_install(python, ["-q", "--upgrade", "pip"], env)
    # --no-compile: byte-compiling all of TensorFlow takes a quarter of the install, and Python
    # compiles what a test imports anyway.
    pip_install(python, ["-q", "--no-compile", *wanted], env)
    versions = _versions(python, env)
    for line in wanted:
        if "==" in line:
            name, version = line.split("==", 1)
            if versions.get(canonical(name)) != version:
                raise InstallFailed(
                    f"{kind} environment: asked for {line}, got {versions.get(canonical(name))}"
                )
    marker.write_text(json.dumps(made_from))
    return versions, time.perf_counter() - start


def _versions(python: Path, env: dict[str, str]) -> dict[str, str]:
    version = run([python, "-c", "import sys; print(sys.version.split()[0])"], env=env)
    return {"python": version.stdout.strip(), **installed_versions(python, env)}


def describe(versions: dict[str, str]) -> str:
    """The versions that matter to the course, on one line."""
    return ", ".join(f"{name} {versions[name]}" for name in REPORTED if name in versions)


class Registry:
    """The environments of one test run: each kind made at most once, in ``base/kind``.

    Thread-safe, so that the Colab-like runs, which go on in the background, and the tests share
    one environment of each kind: a caller that asks for a kind another thread is making waits
    for it. :meth:`get` returns the environment's folder, or the :class:`IndexUnreachable` or
    :class:`InstallFailed` that making it raised (every caller then gets the same answer).
    """

    def __init__(self, base: Path, reuse: bool = False, on_made=None):
        self.base, self.reuse, self.on_made = base, reuse, on_made
        self._made: dict[str, Path | RuntimeError] = {}
        self._locks = {kind: threading.Lock() for kind in KINDS}

    def get(self, kind: str) -> Path | RuntimeError:
        if kind not in self._locks:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        with self._locks[kind]:
            if kind not in self._made:
                venv = self.base / kind
                try:
                    versions, seconds = create(venv, kind, reuse=self.reuse)
                except (IndexUnreachable, InstallFailed) as error:
                    self._made[kind] = error
                else:
                    self._made[kind] = venv
                    if self.on_made:
                        self.on_made(kind, versions, seconds)
            return self._made[kind]
