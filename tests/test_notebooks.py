"""Notebook hygiene: TOC coverage, identical setup cells, clean metadata, reproducible outputs."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT
from test_book import toc_files

sys.path.insert(0, str(ROOT / "tools"))
import notebooks as nbs  # noqa: E402

NOTEBOOKS = nbs.notebooks()


def test_every_notebook_is_in_the_toc_and_every_entry_exists():
    entries = toc_files()
    for entry in entries:
        assert (ROOT / f"{entry}.ipynb").exists() or (ROOT / f"{entry}.md").exists(), entry
    for path in NOTEBOOKS:
        assert path.relative_to(ROOT).with_suffix("").as_posix() in entries, (
            f"{path.name} not in TOC"
        )


def test_setup_cells_and_badges_are_in_sync():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_setup_cells.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_metadata_and_outputs_are_clean(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "widget state is stored"
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") is not None
        if cell["outputs"]:
            assert cell["execution_count"] is not None, f"cell {index} has outputs but never ran"
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"cell {index} stores an error"
            text = "".join(output.get("text", ""))
            assert "oneDNN custom operations" not in text, f"cell {index} stores TF log lines"
            assert "absl::InitializeLog" not in text, f"cell {index} stores TF log lines"
