"""The improvement timeline of a council: curated events from the source documents plus official Ofsted records.

Curated events (``data/curated/events.csv``) exist for Buckinghamshire (825) and West Sussex (938); every row
carries the source document and a verbatim quote that states the event and its date (or, where
``date_basis`` is ``document``, the event is what the document itself records on its own date). Official
Ofsted judgements and visits exist for every council.

An edition "as at" a quarter shows only events dated by the quarter's end *and* recorded in a document
published by then (for official rows: the publication date).

One row per real-world event: a document's mention of an Ofsted judgement, inspection or visit the official
records hold (the official row's date lies within the period the document dates it to) is merged into the
official row, which carries every source that mentions it (``sources``, ``quotes``, ``also_in``). Dates keep
their precision (``when``: "2014", "Aug 2014", "08 Aug 2014"). Planned items (kind ``planned``) are titled in the
future tense of their source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.memo import memo
from cscbook.core.quarters import Quarter
from cscbook.data.ofsted import official_events_of
from cscbook.data.register import resolve
from cscbook.data.sources import as_date, document_date

COLUMNS = ["date", "la_code", "kind", "title", "source", "quote", "also_in"]
KINDS = ["inspection", "judgement", "visit", "direction", "review", "board", "appointment", "funding", "plan",
         "committee", "audit", "context", "planned"]
#: kinds of event the official Ofsted records hold: a document's mention of one is merged into the official row
OFFICIAL_KINDS = ("judgement", "inspection", "visit")


def curated_events() -> pd.DataFrame:
    """The curated events (``data/curated/events.csv``), read once per version of the file in a process."""
    path = paths.curated_dir() / "events.csv"
    return _curated(str(path), path.stat().st_mtime_ns if path.exists() else 0).copy()


@memo(maxsize=4)
def _curated(path: str, mtime: int) -> pd.DataFrame:
    return read_csv_checked(Path(path), ["date", "precision", "end_date", "la_code", "kind", "title", "source",
                                         "quote", "date_basis"])


def quoted_figures(until: Quarter | None = None) -> pd.DataFrame:
    """Figures quoted in the source documents (``data/curated/quoted_figures.csv``), one row per figure with its
    council, value, unit, measure, period, source document and verbatim quote; with ``until`` (a Quarter), only
    those of documents published by its end (what a reader could have seen then)."""
    figs = read_csv_checked(paths.curated_dir() / "quoted_figures.csv",
                            ["figure_id", "la_code", "value", "unit", "measure", "period", "source", "quote",
                             "official_comparison", "cites"])
    if until is not None:
        known = figs["source"].map(lambda s: as_date(document_date(s)) <= until.end)
        figs = figs[known.astype(bool)].reset_index(drop=True)
    return figs


def timeline(la: str, until: Quarter | None = None) -> pd.DataFrame:
    """All events for a council, oldest first, with precision, known_from and official flag."""
    code = resolve(la).code
    cur = curated_events()
    cur = cur[cur["la_code"] == code].copy()
    cur["known_from"] = cur["source"].map(document_date)
    cur["official"] = False
    off = official_events_of(code)
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
    frame = _merged(frame)
    frame["when"] = [date_shown(d, p) for d, p in zip(frame["date"], frame["precision"])]
    keep = COLUMNS + ["precision", "end_date", "grade", "framework", "official", "known_from", "sort_date", "when",
                      "sources", "quotes", "date_basis"]
    for col in keep:
        if col not in frame.columns:
            frame[col] = None
    return frame[keep]


def period_of(iso: str, precision: str) -> tuple:
    """First and last day of the period a date of ``precision`` ("day", "month", "year") names."""
    start = as_date(iso)
    if precision == "year":
        return start, start.replace(month=12, day=31)
    if precision == "month":
        return start, (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return start, start


def date_shown(iso: str, precision: str) -> str:
    """A date at its precision: "2014", "Aug 2014", "08 Aug 2014" (a year is never shown as 1 January)."""
    d = as_date(str(iso))
    return {"year": f"{d:%Y}", "month": f"{d:%b %Y}"}.get(precision, f"{d:%d %b %Y}")


def _merged(frame: pd.DataFrame) -> pd.DataFrame:
    """Each document's mention of an event the official records hold merged into the official row (see the
    module's docstring); every row gets ``sources`` and ``quotes`` (tuples, its own first) and ``also_in`` (the
    other sources, joined by "; ")."""
    frame = frame.copy()
    frame["sources"] = [(s,) for s in frame["source"]]
    frame["quotes"] = [(q,) for q in frame["quote"]]
    official = frame[frame["official"].astype(bool) & frame["kind"].isin(OFFICIAL_KINDS)]
    drop = []
    for i, row in frame[~frame["official"].astype(bool) & frame["kind"].isin(OFFICIAL_KINDS)].iterrows():
        start, end = period_of(str(row["date"]), row["precision"] or "day")
        hits = official[(official["kind"] == row["kind"]) & (official["sort_date"] >= start)
                        & (official["sort_date"] <= end)]
        if hits.empty:
            continue
        j = hits.index[0]
        frame.at[j, "sources"] = frame.at[j, "sources"] + (row["source"],)
        frame.at[j, "quotes"] = frame.at[j, "quotes"] + (row["quote"],)
        drop.append(i)
    frame = frame.drop(index=drop).reset_index(drop=True)
    frame["also_in"] = ["; ".join(s[1:]) for s in frame["sources"]]
    return frame

