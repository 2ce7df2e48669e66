"""The HTML book builds with warnings as errors, every chapter becomes a page, and every Colab
link opens a notebook that the repository holds, at the edition's tag the book names."""

import re
import subprocess
import sys

from conftest import ROOT
from reporting import report

sys.path.insert(0, str(ROOT / "tools"))
import build_pdf  # noqa: E402
import notebooks as nbs  # noqa: E402


def toc_files() -> list[str]:
    """The book's pages in order, as ``tools/build_pdf.py`` prints them."""
    return build_pdf.toc_entries()


def test_book_builds_and_has_a_page_per_toc_entry(built_book):
    for entry in toc_files():
        page = built_book / f"{entry}.html"
        assert page.is_file(), f"{entry} in _toc.yml has no page in the built book"


def test_notebook_pages_show_their_stored_outputs(built_book):
    for entry in toc_files():
        if (ROOT / f"{entry}.ipynb").exists():
            html = (built_book / f"{entry}.html").read_text()
            assert "cell_output" in html, f"{entry}.html shows no cell outputs"


COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/([^\s\"'<>)]+)")


def colab_targets(text: str) -> list[str]:
    """The ``owner/repo/blob/ref/path`` part of every Colab link in ``text``."""
    return COLAB_LINK.findall(text)


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


def files_at(ref: str) -> tuple[set[str], str]:
    """The files the repository holds at the tag ``ref``, and where they were read.

    An edition not yet released has no tag: its tag will be made from this commit, so the files
    tracked here are the ones its links will open.
    """
    if git("rev-parse", "--verify", "--quiet", f"refs/tags/{ref}").returncode == 0:
        listing = git("ls-tree", "-r", "--name-only", ref)
        where = f"the tag {ref}"
    else:
        listing = git("ls-files")
        where = f"this commit (no tag {ref} yet)"
    assert listing.returncode == 0, listing.stderr
    return set(listing.stdout.split()), where


def test_every_colab_link_opens_a_notebook_the_repository_holds(built_book):
    url, branch = nbs.repository()
    repository = url.split("github.com/", 1)[1].removesuffix(".git")
    sources = {f"{entry}.html": (built_book / f"{entry}.html").read_text() for entry in toc_files()}
    sources |= {path.name: path.read_text() for path in nbs.notebooks()}
    sources["README.md"] = (ROOT / "README.md").read_text()
    tracked, where_read = files_at(branch)
    problems, links = [], 0
    for where, text in sources.items():
        for target in colab_targets(text):
            links += 1
            prefix = f"{repository}/blob/{branch}/"
            if not target.startswith(prefix):
                problems.append(f"{where}: {target} is not {prefix}...")
            elif target.removeprefix(prefix) not in tracked:
                problems.append(f"{where}: {target}: no such file in the repository")
    report("book: Colab links checked", f"{links} links, to {repository} at {branch}, {where_read}")
    assert links >= 2 * len(nbs.notebooks())  # a badge and a launch button per chapter at least
    assert not problems, "\n".join(problems)


def test_a_colab_link_to_a_missing_notebook_is_found():
    text = "[x](https://colab.research.google.com/github/o/r/blob/main/book/99_none.ipynb)"
    assert colab_targets(text) == ["o/r/blob/main/book/99_none.ipynb"]
