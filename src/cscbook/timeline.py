"""The improvement timeline of a council: curated events from the source documents plus official Ofsted records.

Curated events (``data/curated/events.csv``) exist for Buckinghamshire (825) and West Sussex (938); every row
carries the source document and a verbatim quote that states the event and its date (or, where
``date_basis`` is ``document``, the event is what the document itself records on its own date). Official
Ofsted judgements and visits exist for every council.

An edition "as at" a quarter shows only events dated by the quarter's end *and* recorded in a document
published by then (for official rows: the publication date).
"""

from __future__ import annotations


import pandas as pd

from . import paths
from .data import read_csv_checked
from .ofsted import official_events
from .quarters import Quarter
from .register import resolve
from .sources import as_date, document_date

COLUMNS = ["date", "la_code", "kind", "title", "source", "quote"]
KINDS = ["inspection", "judgement", "visit", "direction", "review", "board", "appointment", "funding", "plan",
         "committee", "audit", "context"]


def curated_events() -> pd.DataFrame:
    path = paths.curated_dir() / "events.csv"
    frame = read_csv_checked(path, ["date", "precision", "end_date", "la_code", "kind", "title", "source", "quote",
                                    "date_basis"])
    return frame


def quoted_figures() -> pd.DataFrame:
    return read_csv_checked(paths.curated_dir() / "quoted_figures.csv",
                            ["figure_id", "la_code", "value", "unit", "measure", "period", "source", "quote",
                             "official_comparison"])


def timeline(la: str, until: Quarter | None = None) -> pd.DataFrame:
    """All events for a council, oldest first, with precision, known_from and official flag."""
    code = resolve(la).code
    cur = curated_events()
    cur = cur[cur["la_code"] == code].copy()
    cur["known_from"] = cur["source"].map(document_date)
    cur["official"] = False
    off = official_events()
    off = off[off["la_code"] == code].copy()
    off["known_from"] = off["date"]
    off["official"] = True
    # official inspection periods: when inspectors were on site (ILACS files give the start date)
    onsite = off[off["inspection_date"].astype(str).str.len() > 0].copy()
    visit = onsite["framework"].str.contains("visit", case=False)
    onsite = onsite.assign(date=onsite["inspection_date"], kind=visit.map({True: "visit", False: "inspection"}),
                           title=onsite["framework"] + " begins on site", known_from=onsite["known_from"])
    frame = pd.concat([cur, off, onsite], ignore_index=True)
    frame["sort_date"] = frame["date"].map(as_date)
    if until is not None:
        end = until.end
        frame = frame[(frame["sort_date"] <= end) & (frame["known_from"].map(as_date) <= end)]
    frame = frame.sort_values(["sort_date", "official"], ascending=[True, False]).reset_index(drop=True)
    frame["precision"] = frame["precision"].fillna("day")
    keep = COLUMNS + ["precision", "end_date", "grade", "framework", "official", "known_from", "sort_date"]
    for col in keep:
        if col not in frame.columns:
            frame[col] = None
    return frame[keep]

