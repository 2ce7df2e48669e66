"""The GitHub Actions workflows: valid by GitHub's schema, and naming files that exist.

``check-jsonschema`` validates each file against the schema of GitHub workflows that it ships
(offline), and every path of this repository that a workflow's commands name must be there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def validate(*paths: Path) -> subprocess.CompletedProcess:
    program = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    return subprocess.run(
        [program or "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *paths],
        capture_output=True,
        text=True,
    )


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {"weekly.yml", "learner-platforms.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid(workflow):
    result = validate(workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_invalid_workflow_is_caught(tmp_path):
    broken = yaml.safe_load(WORKFLOWS[0].read_text())
    job = next(iter(broken["jobs"].values()))
    del job["runs-on"]
    job["steps"][0]["uses"] = 3
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    result = validate(path)
    assert result.returncode != 0 and "runs-on" in result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_names_only_files_that_exist(workflow):
    commands = " ".join(
        str(step.get("run", ""))
        for job in yaml.safe_load(workflow.read_text())["jobs"].values()
        for step in job["steps"]
    )
    paths = re.findall(r"(?:tools|tests|book)/[\w./-]+", commands)
    assert paths, f"{workflow.name} runs none of the project's scripts"
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert not missing, f"{workflow.name} names files that do not exist: {missing}"
