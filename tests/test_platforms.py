"""``requirements.txt`` installs on every platform and Python version the README promises.

For each platform, pip resolves the pinned requirements from the package index as that platform
would, without installing anything: ``pip install --dry-run`` with the platform's wheel tags and
Python version, binary wheels only. pip evaluates environment markers for the machine it runs on,
not for ``--platform``, so the markers of ``requirements.txt`` are evaluated here for each target
first (with ``packaging``, as pip itself does), and pip gets the lines that apply there.

A resolution failure fails the test; a package index that cannot be reached at all skips it and
says so.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import environments
import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from reporting import report

PYTHONS = ("3.11", "3.12", "3.13")
"""The Python versions the README promises, on every platform below."""


def _manylinux(machine: str) -> list[str]:
    """Every manylinux tag a current Linux (glibc 2.35) accepts for ``machine``."""
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(35, 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


@dataclass(frozen=True)
class Platform:
    name: str
    tags: tuple[str, ...]  # pip --platform values; pip adds older macOS versions itself
    markers: dict[str, str]  # the environment-marker values of such a machine
    tensorflow: str = "tensorflow"  # the TensorFlow distribution that has wheels there


PLATFORMS = (
    Platform(
        "Linux x86_64",
        tuple(_manylinux("x86_64")),
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
        "tensorflow-cpu",
    ),
    Platform(
        "Linux aarch64",
        tuple(_manylinux("aarch64")),
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    ),
    Platform(
        "macOS arm64",
        ("macosx_14_0_arm64",),
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    ),
    Platform(
        "Windows x86_64",
        ("win_amd64",),
        {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
        "tensorflow-cpu",
    ),
)


def marker_environment(platform: Platform, python: str) -> dict[str, str]:
    return {
        "os_name": "nt" if platform.markers["sys_platform"] == "win32" else "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "python_full_version": f"{python}.0",
        **platform.markers,
    }


def requirement_lines(platform: Platform, python: str) -> list[str]:
    """The lines of requirements.txt that apply on ``platform`` with ``python``, markers dropped.

    ``-e .`` (the course package itself, pure Python) is left out: its dependencies are pinned
    in the file, and pip cannot build it for another platform without installing.
    """
    lines = environments.read_requirements(ROOT / "requirements.txt")
    chosen = []
    for line in lines:
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(
            marker_environment(platform, python)
        ):
            continue
        requirement.marker = None
        chosen.append(str(requirement))
    return chosen


def resolve(platform: Platform, python: str, workdir) -> tuple[list[str], str | None]:
    """Resolve for one target; return ``(names==versions, None)`` or ``([], pip's error)``."""
    folder = workdir / f"{platform.name.replace(' ', '-')}-{python}"
    folder.mkdir()
    (folder / "requirements.txt").write_text("\n".join(requirement_lines(platform, python)))
    command = [
        sys.executable,
        *("-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"),
        *("--report", folder / "report.json", "--target", folder / "target"),
        *("--python-version", python, "--only-binary=:all:", "--implementation", "cp"),
        *(f"--platform={tag}" for tag in platform.tags),
        *("-r", folder / "requirements.txt"),
    ]
    result = environments.run(command)
    if result.returncode != 0:
        return [], (result.stdout + result.stderr)[-3000:]
    installed = json.loads((folder / "report.json").read_text())["install"]
    return [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installed], None


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory):
    """Every promised (platform, Python) resolved, four at a time (pip waits on the network)."""
    unreachable = environments.index_unreachable(sys.executable)
    if unreachable:
        pytest.skip(f"the package index cannot be reached, so nothing is resolved: {unreachable}")
    workdir = tmp_path_factory.mktemp("platforms")
    targets = [(platform, python) for platform in PLATFORMS for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda target: resolve(*target, workdir), targets))
    return {
        (platform.name, python): result
        for (platform, python), result in zip(targets, results, strict=True)
    }


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda platform: platform.name)
def test_requirements_resolve_for_every_promised_platform(platform, python, resolutions):
    installed, error = resolutions[(platform.name, python)]
    report(
        "Platforms: requirements.txt resolved with each platform's wheels",
        f"{platform.name}, Python {python}: "
        + (f"{len(installed)} packages" if not error else "FAILS"),
    )
    assert not error, (
        f"requirements.txt does not install on {platform.name}, Python {python}:\n{error}"
    )
    names = {environments.canonical(line.split("==")[0]) for line in installed}
    assert platform.tensorflow in names, f"no {platform.tensorflow} for {platform.name}"
    assert {"keras", "numpy", "matplotlib", "jupyter-book", "nbval"} <= names


def test_markers_choose_one_tensorflow_on_each_platform():
    for platform in PLATFORMS:
        names = [line.split("==")[0] for line in requirement_lines(platform, "3.12")]
        tensorflows = [name for name in names if name in ("tensorflow", "tensorflow-cpu")]
        assert tensorflows == [platform.tensorflow], f"{platform.name}: {tensorflows}"
    # An Intel Mac gets none: TensorFlow publishes no macOS x86_64 wheels after 2.16.
    intel_mac = Platform("macOS x86_64", (), {**PLATFORMS[2].markers, "platform_machine": "x86_64"})
    assert not [line for line in requirement_lines(intel_mac, "3.12") if "tensorflow" in line]
