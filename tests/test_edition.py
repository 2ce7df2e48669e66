"""The course's edition: one version, in pyproject.toml, cited by CITATION.cff, listed in the
changelog and shown in the book's footer.

``CITATION.cff`` is validated against the Citation File Format's schema, which
``check-jsonschema`` ships (offline).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from conftest import ROOT, check_jsonschema

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402
import sphinx_fixes  # noqa: E402

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
CITATION = ROOT / "CITATION.cff"


def validate(path: Path) -> subprocess.CompletedProcess:
    return check_jsonschema("vendor.citation-file-format", path)


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
