"""Re-execute the committed chapter notebooks, so their outputs match the data (nbval compares the cells tagged
nbval-check-output). Run after a change that moves a published number, then commit what it wrote:

    .venv/bin/python scripts/refresh_notebooks.py

It writes
* ``notebooks/*.ipynb``: every chapter with its default parameters (the latest edition of Buckinghamshire);
* ``tests/past_quarter/*.ipynb``: the chapters in PAST, executed for one past-quarter edition, so nbval also
  checks what a reader saw then (the "as at a quarter" rule).

Image data is replaced by a placeholder: nbval compares text only (the sanitize file maps every embedded image
to the same placeholder), and the committed notebooks stay small.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
PAST_DIR = ROOT / "tests" / "past_quarter"
#: The past-quarter edition nbval checks: Buckinghamshire in June 2019 (data to March 2018 only).
PAST = {"la": "825", "quarter": "2019Q2", "chapters": ["notebooks/demand.ipynb"]}
PLACEHOLDER = "IMAGE"
_EMBEDDED = re.compile(r"data:image/(png|jpeg|svg\+xml);base64,[A-Za-z0-9+/=]+")
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


def strip_images(nb) -> int:
    """Replace image payloads (image/* outputs and base64 images embedded in HTML) by a placeholder; return
    how many were replaced."""
    count = 0
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        cell.get("metadata", {}).pop("papermill", None)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for key in list(data):
                if key.startswith("image/"):
                    data[key] = PLACEHOLDER
                    count += 1
                elif key == "text/html":
                    text = "".join(data[key]) if isinstance(data[key], list) else data[key]
                    new, n = _EMBEDDED.subn(lambda m: f"data:image/{m.group(1)};base64,{PLACEHOLDER}", text)
                    data[key] = new
                    count += n
    nb.metadata.pop("papermill", None)
    return count


def refresh_latest(entries: list[dict]) -> None:
    from nbclient import NotebookClient

    for entry in entries:
        path = ROOT / entry["notebook"]
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=600, extra_arguments=KERNEL_ARGUMENTS,
                       resources={"metadata": {"path": str(ROOT)}}).execute()
        n = strip_images(nb)
        nbformat.write(nb, path)
        print(f"refreshed {entry['notebook']} ({n} images replaced by a placeholder)")


def refresh_past() -> None:
    import papermill

    PAST_DIR.mkdir(parents=True, exist_ok=True)
    for chapter in PAST["chapters"]:
        dest = PAST_DIR / f"{Path(chapter).stem}-{PAST['la']}-{PAST['quarter']}.ipynb"
        papermill.execute_notebook(str(ROOT / chapter), str(dest), parameters={"la": PAST["la"], "quarter": PAST["quarter"]},
                                   kernel_name="python3", progress_bar=False, cwd=str(ROOT),
                                   extra_arguments=KERNEL_ARGUMENTS)
        nb = nbformat.read(dest, as_version=4)
        n = strip_images(nb)
        nbformat.write(nb, dest)
        print(f"wrote {dest.relative_to(ROOT)} ({n} images replaced by a placeholder)")


def main() -> int:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strip-only", action="store_true", help="only replace the images in the committed notebooks")
    parser.add_argument("--past-only", action="store_true", help="only the past-quarter edition")
    args = parser.parse_args()
    entries = yaml.safe_load((ROOT / "notebooks" / "chapters.yml").read_text())["chapters"]
    if args.strip_only:
        for path in [*(ROOT / e["notebook"] for e in entries), *PAST_DIR.glob("*.ipynb")]:
            nb = nbformat.read(path, as_version=4)
            n = strip_images(nb)
            nbformat.write(nb, path)
            print(f"{path.relative_to(ROOT)}: {n} images replaced")
        return 0
    if not args.past_only:
        refresh_latest(entries)
    refresh_past()
    return 0


if __name__ == "__main__":
    sys.exit(main())
