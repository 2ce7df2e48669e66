"""examples/two_workers.py: two MultiWorkerMirroredStrategy workers train as one process does.

The script runs as a learner runs it, in a subprocess with this Python (``$CNN_COURSE_DATA``
passed through): a short run must agree, and a run whose single process is given another
learning rate must be reported as a disagreement. The comparison and the argument checks are
also tested directly, without TensorFlow.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

SCRIPT = ROOT / "examples" / "two_workers.py"
# Each run starts three TensorFlow processes (two workers and the single process): about 10 s
# on two cores with the settings below, much longer on a busy machine.
RUN_TIMEOUT = 400


def load_script():
    spec = importlib.util.spec_from_file_location("two_workers", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


two_workers = load_script()  # imports NumPy only: TensorFlow is imported by the workers


def run_script(*arguments: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


def differences(stdout: str) -> dict[str, tuple[float, float]]:
    """``{"loss": (difference, tolerance), "weight": ...}`` as the report prints them."""
    found = re.findall(
        r"^largest (loss|weight) difference: (\S+) \(tolerance (\S+)\)", stdout, re.MULTILINE
    )
    assert {kind for kind, _, _ in found} == {"loss", "weight"}, stdout
    return {kind: (float(value), float(tolerance)) for kind, value, tolerance in found}


@pytest.fixture(scope="module")
def mnist_available():
    import utils

    try:
        utils.load_mnist()
    except RuntimeError as error:  # offline without $CNN_COURSE_DATA
        pytest.skip(f"MNIST is not reachable here: {error}")


def test_two_workers_agree_with_one_process(mnist_available):
    result = run_script("--steps", "4", "--global-batch", "32")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 steps, global batch 32 = 2 workers x 16 images" in result.stdout
    assert "AGREE:" in result.stdout and "DISAGREE" not in result.stdout
    found = differences(result.stdout)
    for kind, (value, tolerance) in found.items():
        assert tolerance == two_workers.TOLERANCE
        assert 0 <= value <= tolerance, f"{kind}: {value} > {tolerance}\n{output}"
    # The same seed gives the same initial weights, and the strategy keeps the copies equal.
    assert "initial weights, workers against one process: max difference 0.00e+00" in output
    assert "weights of worker 1 against worker 0:         max difference 0.00e+00" in output
    rows = re.findall(r"^ +(\d+) +(\d\.\d{7}) +(\d\.\d{7}) +(\S+)$", result.stdout, re.M)
    assert [int(step) for step, *_ in rows] == [1, 2, 3, 4]
    assert all(2.0 < float(loss) < 2.5 for _, loss, _, _ in rows)  # near ln 10 = 2.30 at first


def test_a_different_single_process_run_is_reported_as_a_disagreement(mnist_available):
    result = run_script("--steps", "3", "--global-batch", "32", "--reference-learning-rate", "0.04")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "DISAGREE:" in result.stdout and "(single process: 0.04, on purpose)" in result.stdout
    found = differences(result.stdout)
    assert found["weight"][0] > 10 * found["weight"][1], output
    assert found["loss"][0] > found["loss"][1], output


def test_a_run_that_takes_too_long_is_stopped_with_a_clear_message():
    result = run_script("--timeout", "1", timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "FAILED: timed out after 1 s (--timeout); still running: worker 0" in result.stderr


def fake_run(seed: int = 0, steps: int = 3) -> dict:
    rng = np.random.default_rng(seed)
    initial = {"conv1/kernel": rng.normal(size=(5, 5, 1, 2)), "output/bias": np.zeros(10)}
    final = {name: value - 0.01 for name, value in initial.items()}
    return {"losses": np.linspace(2.3, 2.1, steps), "initial": initial, "final": final}


def perturbed(run: dict, part: str, name: str, amount: float) -> dict:
    copy = {
        "losses": run["losses"].copy(),
        "initial": {k: v.copy() for k, v in run["initial"].items()},
        "final": {k: v.copy() for k, v in run["final"].items()},
    }
    if part == "losses":
        copy["losses"][-1] += amount
    else:
        copy[part][name].flat[0] += amount
    return copy


def test_the_comparison_accepts_round_off_and_catches_every_kind_of_difference():
    tolerance = two_workers.TOLERANCE
    run = fake_run()
    workers = [run, perturbed(run, "final", "conv1/kernel", 0.0)]
    result = two_workers.compare(workers, perturbed(run, "final", "output/bias", 1e-7))
    assert result["agree"] and result["weights"] == pytest.approx(1e-7, rel=1e-3)
    assert result["where"] == "output/bias"
    too_far = 3 * tolerance
    cases = {
        "loss": (workers, perturbed(run, "losses", "", too_far)),
        "weights": (workers, perturbed(run, "final", "conv1/kernel", too_far)),
        "start": (workers, perturbed(run, "initial", "output/bias", too_far)),
        "copies": ([run, perturbed(run, "final", "output/bias", too_far)], run),
    }
    for key, (these_workers, single) in cases.items():
        result = two_workers.compare(these_workers, single)
        assert not result["agree"], key
        assert result[key] == pytest.approx(too_far, rel=1e-3), key


def test_the_examples_in_the_docstrings_hold():
    assert doctest.testmod(two_workers).failed == 0


def test_the_comparison_refuses_runs_of_another_shape():
    run = fake_run()
    other = fake_run(steps=4)
    with pytest.raises(ValueError, match="the runs made 3 and 4 steps"):
        two_workers.compare([run, run], other)
    renamed = {"losses": run["losses"], "initial": {"w": np.zeros(1)}, "final": {"w": np.zeros(1)}}
    with pytest.raises(ValueError, match="the runs have different weights"):
        two_workers.compare([run, run], renamed)


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["--global-batch", "33"], "--global-batch must be a multiple of the 2 workers"),
        (["--global-batch", "33"], "use 32 or 34"),
        (["--global-batch", "1"], "got 1, use 2"),
        (["--steps", "0"], "argument --steps: must be at least 1, got 0"),
        (["--steps", "two"], "argument --steps: expected a whole number, got 'two'"),
        (["--learning-rate", "-0.1"], "argument --learning-rate: must be a positive number"),
        (["--timeout", "0"], "argument --timeout: must be a positive number"),
        (["--seed", "-1"], "argument --seed: must be at least 0"),
        (["--steps", "1000", "--global-batch", "64"], "but MNIST has 60,000 training images"),
    ],
)
def test_bad_arguments_are_refused_with_a_message_naming_the_fix(arguments, message):
    result = run_script(*arguments, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and result.stdout == ""


def test_bad_arguments_are_refused_before_tensorflow_is_imported():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('two_workers', {str(SCRIPT)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules[spec.name] = module\n"
        "spec.loader.exec_module(module)\n"
        "try:\n"
        "    module.main(['--global-batch', '7'])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'tensorflow' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "exit 2 False", result.stdout + result.stderr
