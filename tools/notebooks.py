"""What the maintenance scripts and the tests agree on about the chapters' notebooks.

The repository URL and branch are read from ``_config.yml`` (the one place that names them);
the setup cell and the "Open in Colab" badge of every chapter are derived from them here.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PIP_SOURCE_ENV = "CNN_COURSE_PIP_SOURCE"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository() -> tuple[str, str]:
    """``(url, branch)`` of the repository, from ``_config.yml``."""
    repo = config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def notebooks() -> list[Path]:
    """The chapters' notebooks, in teaching order."""
    return sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))


def setup_source() -> str:
    """Source of cell 2 of every chapter."""
    url, branch = repository()
    return f'''# Setup, the same in every chapter. On Colab it first installs the course package
# (the `utils` the chapters import) from the same branch as this notebook.
import os
import sys

if "google.colab" in sys.modules or "{PIP_SOURCE_ENV}" in os.environ:
    import subprocess

    default = "git+{url}@{branch}"
    source = os.environ.get("{PIP_SOURCE_ENV}", default)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)

import utils

utils.setup_notebook(seed=0)'''


def colab_url(notebook: Path) -> str:
    url, branch = repository()
    github_path = url.split("github.com/", 1)[1]
    relative = notebook.resolve().relative_to(ROOT).as_posix()
    return f"https://colab.research.google.com/github/{github_path}/blob/{branch}/{relative}"


def badge(notebook: Path) -> str:
    return f"[![Open In Colab]({BADGE})]({colab_url(notebook)})"


def read(notebook: Path):
    return nbformat.read(notebook, as_version=4)


def write(nb, notebook: Path) -> None:
    nbformat.write(nb, notebook)
