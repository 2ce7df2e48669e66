"""The HTML book builds with warnings as errors, and every chapter becomes a page."""

import yaml
from conftest import ROOT


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def test_book_builds_and_has_a_page_per_toc_entry(built_book):
    for entry in toc_files():
        page = built_book / f"{entry}.html"
        assert page.is_file(), f"{entry} in _toc.yml has no page in the built book"


def test_notebook_pages_show_their_stored_outputs(built_book):
    for entry in toc_files():
        if (ROOT / f"{entry}.ipynb").exists():
            html = (built_book / f"{entry}.html").read_text()
            assert "cell_output" in html, f"{entry}.html shows no cell outputs"
