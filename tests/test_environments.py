"""The course where learners run it: the shipped network in three environments, and installs.

The network that ships with the course package (``utils.load_seed_cnn()``) must load and predict
alike in the pinned environment (``requirements.txt``, this test process), in Colab's own package
set (``tests/colab_versions.txt``) and at the lower bounds of ``pyproject.toml``. In the other two
the checkout's ``utils`` is put on ``PYTHONPATH`` and a probe classifies the whole MNIST test set.
Installing the course package into Colab's set must change none of its packages, and a failed
install is a failure unless the package index cannot be reached at all.
"""

from __future__ import annotations

import json
import os
import sys

import environments
import numpy as np
import pytest
from conftest import ROOT
from reporting import report

import utils

SECTION = "The shipped network in each environment (MNIST test set)"
# Run by an environment's own Python, with the checkout on PYTHONPATH.
PROBE = """
import json, sys
import keras, numpy as np, tensorflow as tf
import utils

(_, _), (x_test, y_test) = utils.load_mnist()
model = utils.load_seed_cnn()
probabilities = model.predict(utils.prepare_images(x_test), batch_size=1000, verbose=0)
np.save(sys.argv[1], probabilities)
print(json.dumps({"tensorflow": tf.__version__, "keras": keras.__version__,
                  "numpy": np.__version__, "python": sys.version.split()[0]}))
"""


@pytest.fixture(scope="module")
def mnist_test():
    try:
        (_, _), (x_test, y_test) = utils.load_mnist()
    except RuntimeError as error:  # offline without $CNN_COURSE_DATA
        pytest.skip(str(error))
    return x_test, y_test


@pytest.fixture(scope="module")
def pinned(mnist_test):
    """The pinned environment's probabilities for the MNIST test set."""
    import keras
    import tensorflow as tf

    x_test, y_test = mnist_test
    model = utils.load_seed_cnn()
    probabilities = model.predict(utils.prepare_images(x_test), batch_size=1000, verbose=0)
    accuracy = np.mean(probabilities.argmax(axis=1) == y_test)
    report(
        SECTION,
        f"pinned: tensorflow {tf.__version__}, keras {keras.__version__}, numpy "
        f"{np.__version__}, Python {sys.version.split()[0]}: accuracy {accuracy:.2%}",
    )
    return probabilities


@pytest.mark.parametrize("kind", ["colab", "lower"])
def test_the_shipped_network_predicts_as_in_the_pinned_environment(
    kind, test_environment, pinned, mnist_test, tmp_path
):
    venv = test_environment(kind)
    env = environments.clean_environment(venv)
    env["PYTHONPATH"] = str(ROOT)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    saved = tmp_path / "probabilities.npy"
    result = environments.run(
        [environments.venv_python(venv), "-c", PROBE, saved], env=env, cwd=tmp_path
    )
    assert result.returncode == 0, f"the network does not load in {kind}:\n{result.stderr[-4000:]}"
    versions = json.loads(result.stdout.strip().splitlines()[-1])
    probabilities = np.load(saved)
    _, y_test = mnist_test
    predicted, expected = probabilities.argmax(axis=1), pinned.argmax(axis=1)
    difference = float(np.max(np.abs(probabilities - pinned)))
    accuracy = np.mean(predicted == y_test)
    report(
        SECTION,
        f"{kind}: tensorflow {versions['tensorflow']}, keras {versions['keras']}, numpy "
        f"{versions['numpy']}, Python {versions['python']}: accuracy {accuracy:.2%}, "
        f"{np.sum(predicted == expected):,} of {len(y_test):,} classes as pinned, "
        f"largest probability difference {difference:.1e}",
    )
    assert len(predicted) >= 1000
    np.testing.assert_array_equal(predicted, expected, err_msg=f"{kind} predicts other classes")
    assert difference < 1e-4, f"{kind}: probabilities differ by up to {difference}"


def test_installing_the_course_package_into_colab_changes_none_of_its_packages(
    test_environment, package_source
):
    venv = test_environment("colab")
    python = environments.venv_python(venv)
    changes = environments.install_changes(
        python, package_source, environments.clean_environment(venv)
    )
    report(
        "Test environments",
        f"installing {environments.package_name()} into colab would change: "
        + (", ".join(changes) or "nothing"),
    )
    assert not changes, f"installing the course package on Colab would change {changes}"


def _offline() -> dict[str, str]:
    """pip settings under which no package index can be reached (a closed local port)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PIP_") or key == "PIP_CERT"
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL="http://127.0.0.1:9/simple",
        PIP_RETRIES="0",
        PIP_TIMEOUT="5",
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def test_an_unreachable_index_is_told_apart_from_a_version_that_does_not_exist():
    python = sys.executable
    offline = _offline()
    assert environments.index_unreachable(python, offline)
    with pytest.raises(environments.IndexUnreachable):
        environments.pip_install(python, ["--dry-run", "--no-deps", "numpy==2.1.3"], offline)
    # With the index in reach, a version that does not exist is a failure, never a skip.
    reason = environments.index_unreachable(python)
    if reason:
        pytest.skip(f"the package index cannot be reached from here: {reason[-300:]}")
    with pytest.raises(environments.InstallFailed, match="No matching distribution"):
        environments.pip_install(python, ["--dry-run", "--no-deps", "numpy==0.0.1"])


def test_lower_bounds_are_pyproject_s_and_each_must_be_stated(monkeypatch):
    bounds = environments.lower_bounds()
    assert {"numpy", "matplotlib", "keras", "tensorflow-cpu"} <= {
        line.split("==")[0] for line in bounds
    }
    project = environments.pyproject()
    project["dependencies"].append("pillow")
    monkeypatch.setattr(environments, "pyproject", lambda: project)
    with pytest.raises(ValueError, match="'pillow' must be NAME>=VERSION"):
        environments.lower_bounds()


LOWER_UNIT_TESTS_ENV = "CNN_COURSE_LOWER_UNIT_TESTS"
NOT_UNIT_TESTS = {
    "test_book.py",
    "test_browser.py",
    "test_colab_like.py",
    "test_environments.py",
    "test_notebooks.py",
    "test_platforms.py",
    "test_site_checks.py",
}


@pytest.mark.skipif(
    os.environ.get(LOWER_UNIT_TESTS_ENV) != "1",
    reason=f"{LOWER_UNIT_TESTS_ENV}=1 runs it (the weekly workflow, weekly.yml, does)",
)
def test_the_unit_tests_of_utils_pass_at_the_lower_bounds(test_environment):
    # Every test of the course package and its doctests, with the oldest versions it promises.
    venv = test_environment("lower")
    python = environments.venv_python(venv)
    env = environments.clean_environment(venv)
    environments.pip_install(python, ["-q", "pytest"], env)
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    tests = sorted((ROOT / "tests").glob("test_*.py"))
    unit_tests = [path for path in tests if path.name not in NOT_UNIT_TESTS]
    result = environments.run(
        [python, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider"]
        + ["--doctest-modules", ROOT / "utils", *unit_tests],
        env=env,
        cwd=ROOT,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    report("Test environments", f"unit tests of utils at the lower bounds: {summary}")
    assert result.returncode == 0, f"at the lower bounds:\n{result.stdout[-6000:]}"
