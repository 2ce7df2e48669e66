"""The book as a PDF (``tools/build_pdf.py``): every chapter in it, its math typeset, its figures.

The PDF is printed from the built HTML book by Chromium (``built_pdf`` in ``conftest.py``), so
these tests run where the browser tests do.
"""

from __future__ import annotations

import html.parser
import io
import re
import sys

import pytest
from conftest import ROOT
from reporting import report
from test_book import toc_files

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

# What would be left in the text if the math or a directive had not been rendered.
RAW = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\frac|\\lfloor|\\sum|```|:::|\{math\}|\{figure\}")


def chapter_titles() -> list[str]:
    """The first heading of each page of the book, as its source writes it."""
    titles = []
    for entry in toc_files():
        notebook = ROOT / f"{entry}.ipynb"
        if notebook.exists():
            source = nbs.read(notebook).cells[0].source
        else:
            source = (ROOT / f"{entry}.md").read_text()
        titles.append(
            next(line[2:].strip() for line in source.splitlines() if line.startswith("# "))
        )
    return titles


class _Images(html.parser.HTMLParser):
    """Counts the figures of a page's article: its images, less the Colab badge."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self.depth += 1
        elif tag == "img" and self.depth and "colab" not in (attributes.get("alt") or "").lower():
            self.count += 1

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1


def html_figures(site) -> int:
    total = 0
    for entry in toc_files():
        parser = _Images()
        parser.feed((site / f"{entry}.html").read_text())
        total += parser.count
    return total


@pytest.fixture(scope="module")
def pdf(built_pdf):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(built_pdf.read_bytes()))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    images = sum(len(page.images) for page in reader.pages)
    report(
        "book: the PDF",
        f"{built_pdf.name}: {len(reader.pages)} pages, {built_pdf.stat().st_size / 1e6:.1f} MB, "
        f"{images} images",
    )
    return reader, text, images


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("ﬀ", "ff").replace("ﬁ", "fi").replace("ﬂ", "fl")


def test_every_chapter_is_in_the_pdf_in_the_books_order(pdf):
    reader, text, _ = pdf
    flat = _flat(text)
    positions = []
    for title in chapter_titles():
        assert _flat(title) in flat, f"the PDF lacks the chapter {title!r}"
        positions.append(flat.index(_flat(title)))
    assert positions == sorted(positions), "the chapters are out of the book's order"
    bookmarks = [item.title for item in reader.outline]
    assert len(bookmarks) == len(toc_files()), "one bookmark per page of the book"


def test_no_raw_math_or_directive_is_left_in_the_pdf(pdf):
    _, text, _ = pdf
    found = sorted(set(RAW.findall(text)))
    assert not found, f"unrendered source in the PDF: {found}"


def test_the_pdf_holds_about_as_many_figures_as_the_html_book(pdf, built_pdf):
    _, _, images = pdf
    expected = html_figures(built_pdf.parent)
    report("book: the PDF", f"figures: {images} in the PDF, {expected} in the HTML book")
    assert expected > 40
    assert 0.9 * expected <= images <= 1.1 * expected


def test_a_raw_formula_would_be_found():
    found = RAW.findall(r"the size is \(\lfloor n / s \rfloor\) and $$x$$, :::{note}")
    assert set(found) == {"\\(", "\\lfloor", "\\)", "$$", ":::"}
    assert RAW.findall("the size is 24 × 24, typeset") == []
