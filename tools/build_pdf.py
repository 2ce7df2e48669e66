"""Print the built HTML book to one PDF, offline, with headless Chromium.

    .venv/bin/python tools/build_pdf.py      # after the HTML build; tools/build.py runs it

Every page of ``_toc.yml`` is opened from ``_build/html`` (served on localhost), its math typeset
by MathJax as on the website, its images loaded, and printed with the browser's print styles (the
theme's: no sidebars, no buttons); the pages are joined in the book's order into
``_build/html/cnn-course.pdf``, with a bookmark per chapter, where the site publishes it and the
introduction links to it. An animation prints as the frame its player shows first; a hidden
solution stays hidden, as on paper it should.

Why Chromium rather than LaTeX: the PDF is then the pages readers see, figures, animations' first
frames, alt text and self-check questions included, with no second renderer to keep in step, and
the browser is already installed for the browser tests. Jupyter Book's own ``pdfhtml`` builder
downloads a browser of its own, which an offline machine cannot do.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
PDF = SITE / "cnn-course.pdf"
CHROMIUM_ENV = "CNN_COURSE_CHROMIUM"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
MATHJAX_TIMEOUT_MS = 60_000
MARGIN = {"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}

PREPARE = """async (timeout) => {
  const images = [...document.images];
  images.forEach((img) => { img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const mathjax = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mathjax) {
    await Promise.race([mathjax, new Promise((resolve) => setTimeout(resolve, timeout))]);
  }
  return document.querySelector('h1') ? document.querySelector('h1').textContent : '';
}"""


def toc_entries() -> list[str]:
    """The book's pages, in its order: the root, then every chapter and section."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            entries.append(chapter["file"])
            entries.extend(section["file"] for section in chapter.get("sections", []))
    return entries


def chromium() -> str | None:
    """The Chromium to print with: ``$CNN_COURSE_CHROMIUM``, or Debian's, if installed."""
    candidates = [os.environ[CHROMIUM_ENV]] if os.environ.get(CHROMIUM_ENV) else []
    candidates += [*CHROMIUM_PATHS, shutil.which("chromium") or ""]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        pass


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served on a free localhost port; yields its base URL, ending with ``/``."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def print_pages(site: Path, entries: list[str], browser) -> list[tuple[str, bytes]]:
    """``(title, PDF bytes)`` of each page, printed by ``browser`` (a Playwright Browser)."""
    printed = []
    with served(site) as url:
        context = browser.new_context(viewport={"width": 1000, "height": 1400})
        # the light theme on paper, whatever the reader's system prefers
        context.add_init_script("localStorage.setItem('mode', 'light');")
        try:
            for entry in entries:
                page = context.new_page()
                page.goto(f"{url}{entry}.html", wait_until="load")
                page.emulate_media(media="print")
                title = page.evaluate(PREPARE, MATHJAX_TIMEOUT_MS).strip().rstrip("#").strip()
                printed.append((title, page.pdf(format="A4", print_background=True, margin=MARGIN)))
                page.close()
        finally:
            context.close()
    return printed


def join(printed: list[tuple[str, bytes]], target: Path) -> int:
    """Join the pages' PDFs into ``target``, a bookmark per page; return the number of pages."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for title, data in printed:
        start = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(data)))
        writer.add_outline_item(title=title, page_number=start)
    writer.add_metadata(
        {"/Title": printed[0][0] if printed else "", "/Creator": "tools/build_pdf.py"}
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        writer.write(out)
    return len(writer.pages)


def main() -> int:
    if not (SITE / "index.html").exists():
        print(f"No HTML book in {SITE}: build it first (tools/build.py).", file=sys.stderr)
        return 1
    browser_path = chromium()
    if browser_path is None:
        print(
            "No Chromium found: the PDF is printed by a browser (Debian: apt-get install "
            "chromium, or set CNN_COURSE_CHROMIUM); the HTML book is built without it.",
            file=sys.stderr,
        )
        return 0
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True)
        try:
            printed = print_pages(SITE, toc_entries(), browser)
        finally:
            browser.close()
    pages = join(printed, PDF)
    print(f"The PDF is at {PDF}: {pages} pages, {PDF.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
