"""The edition's data pack: one Excel workbook with a sheet per table and a sheet of notes and sources, every
table through the disclosure policy, as on the pages."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .disclosure import suppress

FILENAME = "data-pack.xlsx"


def tables(edition) -> dict[str, tuple[pd.DataFrame, list[str], str]]:
    """{sheet name: (frame, count columns, description)} for an edition, as published by its quarter."""
    from .benchmark import benchmark
    from .indicators import COUNTS, CORE_COLUMNS, indicators_for, mask_unpublished
    from .quarters import latest_year_published
    from .timeline import timeline

    code, q = edition.council.code, edition.quarter
    ind = mask_unpublished(indicators_for(code, CORE_COLUMNS), q)
    year = latest_year_published("referrals", q) or int(ind["year"].max())
    card = benchmark(code, max(year, latest_year_published("workforce", q) or year))
    events = timeline(code, q)[["date", "kind", "title", "source", "quote", "grade", "framework"]]
    count_cols = [c for c in ind.columns if c.split("_sn_median")[0].split("_region")[0].split("_england")[0]
                  in set(COUNTS) | {"referrals"} and not c.endswith(("_region", "_england", "_sn_median"))]
    return {
        "Indicators": (ind, count_cols, "Indicators by year with neighbours' median, region and England "
                                        "(DfE official statistics, as published by the end of the quarter)"),
        "Scorecard": (card, [], "Latest value of each indicator against neighbours, region and England, with rank, "
                                "quartile rating and direction of travel"),
        "Timeline": (events, [], "Dated events with the sentence in the source that states each"),
    }


def write_datapack(html_dir: Path, edition, meta: dict | None = None) -> Path:
    """Write ``data-pack.xlsx`` beside the edition's pages (in ``html_dir``); return its path. Written to a
    temporary file first, then moved into place."""
    from .sourcepages import index, sources_for

    out = Path(html_dir) / FILENAME
    tmp = out.with_suffix(".xlsx.tmp")
    notes = [("Edition", f"{edition.council.name} ({edition.council.code}), {edition.quarter}"),
             ("Disclosure", "Counts of 1 to 5 are shown as c, with rates computed from them; official tables arrive "
                            "already suppressed by DfE (c, x, z, low, u read as missing)."),
             ("Rates", "Per 10,000 children aged 0 to 17 (ONS mid-year estimate of the previous calendar year).")]
    with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        for sheet, (frame, counts, about) in tables(edition).items():
            suppress(frame, counts).to_excel(xl, sheet_name=sheet, index=False)
            notes.append((f"Sheet {sheet}", about))
        own = set(sources_for(edition.council.code))
        for _, row in index().iterrows():
            if row["file"] in own:  # only the documents about this council
                notes.append((f"Source {row['file']}", row["title"]))
        pd.DataFrame(notes, columns=["item", "note"]).to_excel(xl, sheet_name="Notes and sources", index=False)
    os.replace(tmp, out)
    return out
