"""The GitHub Actions workflows: valid by GitHub's schema, and naming files that exist.

``check-jsonschema`` validates each file against the schema of GitHub workflows that it ships
(offline), and every path of this repository that a workflow's commands name must be there.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, check_jsonschema

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def validate(*paths: Path) -> subprocess.CompletedProcess:
    return check_jsonschema("vendor.github-workflows", *paths)


def test_there_are_workflows():
    assert {path.name for path in WORKFLOWS} >= {
        "publish.yml",
        "weekly.yml",
        "learner-platforms.yml",
    }


def readme_commands() -> list[str]:
    """The two commands of the README's first ``bash`` block, comments dropped."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README has no bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def on_tags_only(condition: str) -> bool:
    return condition.strip() == "github.ref_type == 'tag'"


def test_the_readme_commands_are_what_ci_runs():
    assert readme_commands() == ["bash tools/build.sh", "bash tools/test.sh"]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert ci[-2:] == readme_commands()


def test_an_edition_is_published_from_its_tag_after_every_test():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert "pull_request" in triggers
    jobs = workflow["jobs"]
    build, deploy, release = jobs["build-and-test"], jobs["deploy"], jobs["release"]
    runs = [step["run"] for step in build["steps"] if "run" in step]
    assert runs == readme_commands(), "the build job must run exactly the README's two commands"
    upload = next(s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html"
    assert build["steps"][-1] is upload, "the book is uploaded only after every test passed"
    for published in (upload, deploy, release):
        assert on_tags_only(published["if"]), published
    assert deploy["needs"] == release["needs"] == "build-and-test"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert release["permissions"] == {"contents": "write"}
    script = release["steps"][-1]["run"]
    assert "cnn-course.pdf" in script and "gh release create" in script and "--verify-tag" in script
    assert workflow["permissions"] == {"contents": "read"}


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
