"""Test set-up shared by the unit, notebook and book tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Kernels started by nbval read the project's IPython profile (TensorFlow's C++ log lines stay
# out of notebook outputs) and run with the quiet TensorFlow settings the tools use.
os.environ.setdefault("IPYTHONDIR", str(ROOT / ".ipython"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def built_book():
    """Build the HTML book once per test run with warnings as errors; return its folder."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
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
def browser():
    """Headless Chromium (Playwright), one for the whole run; skips, saying why, without it."""
    import site_checks

    reason = site_checks.browser_unavailable()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    with site_checks.open_browser() as running:
        yield running


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests recorded with ``reporting.report`` (sizes, coverage, timings)."""
    import reporting

    reporting.write_summary(terminalreporter)
