"""Test set-up shared by the unit, notebook and book tests."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Kernels started by nbval read the project's IPython profile (TensorFlow's C++ log lines stay
# out of notebook outputs) and run with the quiet TensorFlow settings the tools use.
os.environ.setdefault("IPYTHONDIR", str(ROOT / ".ipython"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    """``check-jsonschema`` (beside this Python) on ``paths`` with one of its builtin schemas,
    which it ships, so the check runs offline."""
    program = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [program or "check-jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def built_book():
    """Build the HTML book once per test run with warnings as errors; return its folder."""
    result = subprocess.run(
        [
            # jupyter-book beside this Python (jupyter-book.exe on Windows)
            shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book",
            "build",
            str(ROOT),
            "-W",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        pytest.fail(f"jupyter-book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def built_pdf(built_book, browser):
    """The book printed to ``_build/html/cnn-course.pdf`` by ``tools/build_pdf.py``, once a run.

    A PDF newer than every other file of the built book was printed from these very pages (the
    first command prints it right after building): it is kept, and not printed twice.
    """
    sys.path.insert(0, str(ROOT / "tools"))
    import build_pdf
    from reporting import report

    pdf = built_book / build_pdf.PDF.name
    rewritten = {pdf, built_book / "_static" / "pygments.css"}  # Sphinx writes it every build
    others = [path for path in built_book.rglob("*") if path.is_file() and path not in rewritten]
    if pdf.is_file() and pdf.stat().st_mtime > max(path.stat().st_mtime for path in others):
        report("book: the PDF", f"{pdf.name}: printed after the last build, kept")
        return pdf
    pages = build_pdf.print_pages(built_book, build_pdf.toc_entries(), browser)
    build_pdf.join(pages, pdf)
    return pdf


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Playwright), one for the whole run; skips, saying why, without it."""
    import site_checks

    reason = site_checks.browser_unavailable()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    with site_checks.open_browser() as running:
        yield running


@dataclass
class Site:
    """The built book served on localhost: ``page(entry)`` is a TOC entry's address."""

    folder: Path
    url: str

    def page(self, entry: str) -> str:
        return f"{self.url}{entry}.html"


@pytest.fixture(scope="session")
def site(built_book, built_pdf):  # the PDF too: the introduction links to it
    import site_checks

    with site_checks.serve(built_book) as url:
        yield Site(built_book, url)


@pytest.fixture(scope="session")
def context(browser, site):
    """One browser context for the run, reaching only the book's server."""
    import site_checks

    context = site_checks.new_context(browser, site.url)
    yield context
    context.close()


ENVS_ENV = "CNN_COURSE_ENVS"
ENVS_REUSE_ENV = "CNN_COURSE_ENVS_REUSE"


@pytest.fixture(scope="session")
def environment_registry(tmp_path_factory):
    """The run's ``environments.Registry``: each kind of test environment made at most once.

    They go into ``$CNN_COURSE_ENVS`` (default: a temporary folder of the run);
    ``CNN_COURSE_ENVS_REUSE=1`` keeps environments already there, made from the same
    requirements.
    """
    import environments
    from reporting import report

    def made(kind, versions, seconds):
        how = f"made in {seconds:.0f} s" if seconds else "reused"
        report("Test environments", f"{kind}: {how}: {environments.describe(versions)}")

    location = os.environ.get(ENVS_ENV)
    base = Path(location).resolve() if location else tmp_path_factory.mktemp("environments")
    return environments.Registry(base, reuse=os.environ.get(ENVS_REUSE_ENV) == "1", on_made=made)


@pytest.fixture(scope="session")
def test_environment(environment_registry):
    """``test_environment(kind)``: a fresh virtual environment of ``kind``, made once a run.

    ``kind`` is one of ``environments.KINDS`` (``colab``, ``lower``, ``newest``); every test
    that asks for the same kind shares one environment (``environment_registry``). A test skips,
    saying why, only when the package index cannot be reached at all; any other failure to
    install fails it.
    """

    def get(kind: str) -> Path:
        return usable_environment(kind, environment_registry.get(kind))

    return get


def usable_environment(kind: str, result):
    """The environment folder ``result`` of ``Registry.get``, or the skip or failure it means."""
    import environments

    if isinstance(result, environments.IndexUnreachable):
        pytest.skip(f"the {kind} environment cannot be installed: {result}")
    if isinstance(result, environments.InstallFailed):
        pytest.fail(f"the {kind} environment cannot be installed: {result}", pytrace=False)
    return result


COLAB_LIKE_FILE = "tests/test_colab_like.py"


def pytest_collection_modifyitems(items):
    """Put the Colab-like runs last: they go on in the background meanwhile (``colab_like``)."""
    late = [item for item in items if item.nodeid.startswith(COLAB_LIKE_FILE + "::")]
    if late:
        items[:] = [item for item in items if item not in late] + late


@pytest.fixture(scope="session", autouse=True)
def colab_like(request, environment_registry, tmp_path_factory):
    """The Colab-like runs of the session (``colab_like.Background``), started at its first test.

    Every chapter selected for the Colab-like run is queued at once; the runs go on, one after
    another, on a thread of their own while the other tests run, and the tests of
    ``test_colab_like.py``, collected last, wait for their results. On two cores this fills the
    time the other tests leave a core idle. ``None`` when no Colab-like test is selected.
    """
    items = [
        item for item in request.session.items if item.nodeid.startswith(COLAB_LIKE_FILE + "::")
    ]
    if not items:
        yield None
        return
    notebooks = []  # the chapters of the selected runs (an empty selection gives no Path)
    for item in items:
        notebook = item.callspec.params.get("notebook") if hasattr(item, "callspec") else None
        if isinstance(notebook, Path):
            notebooks.append(notebook)
    import colab_like as runs

    background = runs.Background(
        environment_registry, runs.colab_set(), request.getfixturevalue("package_source")
    )
    for notebook in notebooks:
        background.submit(notebook, tmp_path_factory.mktemp(f"colab-{notebook.stem}"))
    yield background
    background.close()


@pytest.fixture(scope="session")
def package_source(tmp_path_factory) -> Path:
    """A snapshot of this checkout (the files git would commit) for the setup cell to install.

    pip builds the package inside the folder it installs from; a snapshot keeps that build
    out of the working tree, and, like a clone of the repository, holds no ignored files.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
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


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests recorded with ``reporting.report`` (sizes, coverage, timings)."""
    import reporting

    reporting.write_summary(terminalreporter)
