"""The pages a build writes into each staged edition besides the chapters: the book's configuration (with a
banner when disclosure control is off) and table of contents, the colophon, the "About this edition" page, and
the council and quarter on the landing page."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from cscbook.core import paths
from cscbook.data.edition import Edition
from cscbook.report.datapack import SHEETS


def write_colophon(stage: Path, meta: dict) -> None:
    """The colophon page (book/colophon.md in the staging folder ``stage``): council, edition, monthly data,
    package, data version and content hash, from the edition's record ``meta`` (as in edition.json)."""
    monthly = (f"the council's own monthly figures (content key {meta['monthly']})" if meta["monthly"]
               else "illustrative example (data/examples)")
    text = f"""# Colophon

| | |
|---|---|
| Council | {meta['council']} ({meta['la']}) |
| Edition | calendar quarter {meta['quarter']} (financial year {meta['financial_quarter']}) |
| Monthly data | {monthly} |
| Package | cscbook {meta['package_version']} (code {meta['code_version']}) |
| Data version | {meta['data_version']} |
| Content hash | `{meta['content_hash']}` |

The content hash is computed from every table, text and figure the chapters produced. Building the same
edition from the same data and code gives the same hash.
"""
    (stage / "book" / "colophon.md").write_text(text)


#: the banner on every page of an edition built with ``CSCBOOK_DISCLOSURE=off``
UNSUPPRESSED_BANNER = ("NOT FOR PUBLICATION: built with disclosure control off (CSCBOOK_DISCLOSURE=off); "
                       "counts of 1 to 5 are shown")


def stage_config(stage: Path, edition: Edition) -> None:
    """The book's _config.yml in the staging folder; an edition without disclosure control gets a banner on every
    page (the theme's announcement)."""
    shutil.copy2(paths.repo_root() / "_config.yml", stage / "_config.yml")
    if edition.policy.enabled:
        return
    config = yaml.safe_load((stage / "_config.yml").read_text()) or {}
    config.setdefault("html", {})["announcement"] = UNSUPPRESSED_BANNER
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))


#: the caption of the book's last part: the chapters chapters.yml marks ``part: appendix`` (the source documents'
#: part, cscbook.report.sourcepages, is put before it)
APPENDIX_CAPTION = "Analysts' appendix"


def write_toc(stage: Path, entries: list[dict]) -> None:
    """The book's _toc.yml in the staging folder ``stage``: the chapters ``entries`` first, then the book's own
    parts with "About this edition" and the colophon, and the analysts' appendix last."""
    toc = yaml.safe_load((paths.repo_root() / "_toc.yml").read_text())
    parts = toc.setdefault("parts", [])

    def files(group):
        return [{"file": f"notebooks/{Path(e['notebook']).stem}"} for e in group]

    chapter_files = files(e for e in entries if e.get("part") != "appendix")
    appendix_files = files(e for e in entries if e.get("part") == "appendix")
    if chapter_files:
        parts.insert(0, {"caption": "Chapters", "chapters": chapter_files})
    parts[-1].setdefault("chapters", []).append({"file": "book/this_edition"})
    parts[-1].setdefault("chapters", []).append({"file": "book/colophon"})
    if appendix_files:  # last in the book: technical detail the leadership pages link to
        parts.append({"caption": APPENDIX_CAPTION, "chapters": appendix_files})
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))


def write_edition_page(stage: Path, entries: list[dict], meta: dict) -> None:
    """"About this edition" (book/this_edition.md in the staging folder ``stage``): the committee paper, the data
    pack and the executed chapter notebooks ``entries`` to download; ``meta`` is the edition's record."""
    def _and(items):
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    paper = ("- <a href=\"../committee-paper.pdf\">Committee paper (PDF, A4)</a>: the headlines, scorecard, timeline and "
             "forecast,\n  with the council, edition and date on every page." if meta.get("paper", True) else
             f"- The committee paper (PDF) was not printed for this edition "
             f"({meta.get('paper_skipped') or 'built with `--no-paper`'}).")
    notebooks = "\n".join(f"- {{download}}`{Path(e['notebook']).stem}.ipynb <../notebooks/{Path(e['notebook']).name}>`"
                          for e in entries)
    text = f"""# About this edition

{meta['council']} ({meta['la']}), calendar quarter {meta['quarter']} (financial year {meta['financial_quarter']}).

## For the committee

{paper}
- <a href="../data-pack.xlsx">Data pack (Excel workbook)</a>: {_and(SHEETS)}, one sheet each, with a sheet of
  notes and sources; a row of units under each sheet's headings. Small counts are suppressed as on the pages.

Every table on a page also has its own CSV download link beneath it.

## For reviewers

The executed chapter notebooks, as papermill ran them for this edition (code, outputs and the parameters used);
`nbval` checks the committed copies in the project's tests:

{notebooks}
"""
    (stage / "book" / "this_edition.md").write_text(text)


def name_the_landing_page(stage: Path, meta: dict) -> None:
    """The edition's landing page (the book's intro) names its council and quarter, in its title and first lines."""
    intro = stage / "book" / "intro.md"
    if not intro.exists():
        return
    lines = intro.read_text(encoding="utf-8").splitlines()
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    edition = (f"**This edition: {meta['council']} ({meta['la']}), calendar quarter {meta['quarter']} "
               f"(financial year {meta['financial_quarter']}).** It shows what had been published by the end of "
               "that quarter.")
    if heading is None:
        lines[:0] = [f"# {meta['council']}, {meta['quarter']}", "", edition, ""]
    else:
        lines[heading] = f"{lines[heading]}: {meta['council']}, {meta['quarter']}"
        lines[heading + 1:heading + 1] = ["", edition]
    intro.write_text("\n".join(lines) + "\n", encoding="utf-8")
