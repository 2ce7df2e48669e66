"""The course's edition: one version, in pyproject.toml, cited by CITATION.cff, listed in the
changelog, shown in the book's footer, and tagged ``v`` and the version: the tag that
``_config.yml`` names, that the Colab links open and that every setup cell installs from.

``CITATION.cff`` is validated against the Citation File Format's schema, which
``check-jsonschema`` ships (offline).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, check_jsonschema

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402
import sphinx_fixes  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
CITATION = ROOT / "CITATION.cff"


def validate(path: Path) -> subprocess.CompletedProcess:
    return check_jsonschema("vendor.citation-file-format", path)


TAG = f"v{VERSION}"


def test_the_book_links_and_installs_this_editions_tag():
    url, ref = nbs.repository()
    assert ref == TAG, f"_config.yml names {ref}, pyproject.toml's version makes the tag {TAG}"
    setup = nbs.setup_source()
    assert f'"git+{url}@{TAG}"' in setup and "@main" not in setup
    for path in nbs.notebooks():
        assert nbs.read(path).cells[1].source == setup, f"{path.name}: run sync_setup_cells.py"
        assert f"/blob/{TAG}/book/{path.name}" in nbs.badge(path)


def release_problems(tag: str, changelog: str, citation: dict) -> list[str]:
    """What keeps a push of ``tag`` from publishing this checkout as that edition."""
    found = []
    if tag != TAG:
        found.append(f"the tag {tag} is not pyproject.toml's version {VERSION} (tag {TAG})")
    heading = next((line for line in changelog.splitlines() if line.startswith("## ")), "")
    if "not yet released" in heading:
        found.append(f"CHANGELOG.md still says '{heading}': give it the release date")
    if "date-released" not in citation:
        found.append("CITATION.cff has no date-released")
    return found


def test_the_introduction_names_this_edition():
    intro = (ROOT / "book" / "intro.md").read_text()
    url, _ = nbs.repository()
    assert f"edition {VERSION} of the course" in intro and f"`{TAG}` for this one" in intro
    assert f"git clone --branch {TAG} {url}" in intro


def test_a_release_is_built_from_its_own_tag():
    """On GitHub, a tag push publishes the edition it names: ``v0.2.0`` must hold version 0.2.0,
    with its changelog entry dated and its citation's release date set."""
    if os.environ.get("GITHUB_REF_TYPE") != "tag":
        pytest.skip("not a tag push: nothing is released")
    found = release_problems(
        os.environ["GITHUB_REF_NAME"],
        (ROOT / "CHANGELOG.md").read_text(),
        yaml.safe_load(CITATION.read_text()),
    )
    assert not found, "\n".join(found)


def test_an_unready_release_is_refused():
    changelog = f"# Changelog\n\n## {VERSION} (not yet released)\n"
    found = release_problems("v9.9.9", changelog, {"version": VERSION})
    assert len(found) == 3
    assert "v9.9.9" in found[0] and "release date" in found[1] and "date-released" in found[2]
    dated = f"# Changelog\n\n## {VERSION} (2027-01-15)\n"
    assert release_problems(TAG, dated, {"date-released": "2027-01-15"}) == []


def test_the_citation_file_is_valid_and_cites_this_edition():
    result = validate(CITATION)
    assert result.returncode == 0, result.stdout + result.stderr
    citation = yaml.safe_load(CITATION.read_text())
    assert citation["version"] == VERSION
    url, _ = nbs.repository()
    assert citation["repository-code"] == url


def test_an_invalid_citation_file_is_caught(tmp_path):
    broken = yaml.safe_load(CITATION.read_text())
    del broken["authors"]
    broken["version"] = ["not", "a", "version"]
    path = tmp_path / "CITATION.cff"
    path.write_text(yaml.safe_dump(broken))
    result = validate(path)
    assert result.returncode != 0 and "authors" in result.stdout + result.stderr


def test_the_changelog_lists_this_edition():
    headings = [
        line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## ")
    ]
    assert headings and headings[0].startswith(f"## {VERSION} "), headings[:1]


def test_the_book_names_its_edition_in_every_footer(built_book):
    assert sphinx_fixes.course_version(ROOT) == VERSION
    pages = sorted(built_book.glob("book/*.html"))
    assert len(pages) >= 10
    for page in pages:
        assert f"Edition {VERSION} of the course" in page.read_text(), page.name


def test_controls_are_named_by_their_visible_text():
    page = (
        '<summary aria-label="Toggle hidden content">\n<p>Show code cell source</p></summary>'
        '<button class="btn search-button-field search-button__button pst-js-only" title="Search" '
        'aria-label="Search" data-bs-toggle="tooltip"><span>Search</span><kbd>Ctrl</kbd></button>'
        '<i class="theme-switch fa-solid fa-sun                fa-lg" data-mode="light" '
        'title="Light"></i>'
    )
    fixed = sphinx_fixes.name_controls_by_their_text(page)
    assert "aria-label" not in fixed and 'title="Light"' not in fixed
    assert fixed.count('aria-hidden="true"') == 1 and "<summary>" in fixed
    assert sphinx_fixes.name_controls_by_their_text(fixed) == fixed
