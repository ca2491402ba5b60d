"""Re-execute the chapter notebooks in place with their default parameters, so the committed outputs match
the data (nbval compares the cells tagged nbval-check-output). Run after a change that moves a published
number: `.venv/bin/python scripts/refresh_notebooks.py`, then commit the notebooks."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    import yaml

    chapters = yaml.safe_load((ROOT / "notebooks" / "chapters.yml").read_text())["chapters"]
    for entry in chapters:
        path = ROOT / entry["notebook"]
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(ROOT)}}).execute()
        for cell in nb.cells:
            cell.get("metadata", {}).pop("execution", None)
        nbformat.write(nb, path)
        print(f"refreshed {entry['notebook']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
