"""The edition's data pack: one Excel workbook with a sheet per table and a sheet of notes and sources, every
table through the disclosure policy, as on the pages."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, time
from pathlib import Path

import pandas as pd

from cscbook.core import atomic
from cscbook.core.disclosure import suppress
from cscbook.core.inputs import safe_cells
from cscbook.data.releases import latest_year_published
from cscbook.data.timeline import period_of, timeline
from cscbook.models.benchmark import benchmark, scorecard_table
from cscbook.models.breaks import detect_for
from cscbook.models.indicators import CORE_COLUMNS, COUNTS, heading, indicators_for, mask_unpublished, rounding
from cscbook.report.sourcepages import index, sources_for

FILENAME = "data-pack.xlsx"


def tables(edition) -> dict[str, tuple[pd.DataFrame, list[str], str]]:
    """{sheet name: (frame, count columns, description)} for an edition, as published by its quarter: headings
    in words, each figure rounded as published (counts whole, rates and percentages to one decimal place), the
    unit of each column in ``frame.attrs["units"]`` (written as the row under the headings)."""
    code, q = edition.council.code, edition.quarter
    ind = mask_unpublished(indicators_for(code, CORE_COLUMNS, as_of=q), q)
    year = latest_year_published("referrals", q) or int(ind["year"].max())
    flags = detect_for(code, q)
    flagged = set(flags.index[flags["flagged"]])
    values = [c for c in ind.columns if c not in ("old_la_code", "la_name", "year")]
    count_cols = [c for c in values if c.split("_sn_median")[0].split("_region")[0].split("_england")[0]
                  in set(COUNTS) | {"referrals"} and not c.endswith(("_region", "_england", "_sn_median"))]
    pack = pd.DataFrame({"Year ending 31 March": ind["year"].astype(int)})
    units = {"Year ending 31 March": "year"}
    for c in values:
        head, unit = heading(c)
        pack[head] = ind[c].round(rounding(c))
        units[head] = unit
    pack["Referrals: likely recording change"] = ["yes" if y in flagged else "no" for y in ind["year"]]
    units["Referrals: likely recording change"] = "flag (cscbook.models.breaks rule, methods page)"
    pack.attrs["units"] = units
    counts = [heading(c)[0] for c in count_cols]

    raw = benchmark(code, max(year, latest_year_published("workforce", q) or year), quarter=q)
    card = scorecard_table(raw)
    for col in ["value", "sn_median", "sn_min", "sn_max", "region", "england"]:
        card[col] = [round(float(v), 0 if i in COUNTS or i == "referrals" else 1) if isinstance(v, (int, float))
                     and pd.notna(v) else v for i, v in zip(raw["indicator"], card[col])]
    card = card.rename(columns={"label": "Indicator", "unit": "Unit", "period": "Period", "value": edition.council.name, "sn_median": "Neighbours (median)",
                                "sn_min": "Neighbours (lowest)", "sn_max": "Neighbours (highest)",
                                "region": edition.council.region, "england": "England", "rank": "Rank (1 = highest)",
                                "councils": "Councils ranked", "rating": "Rating (England quartiles)",
                                "travel": "Since last year"})
    card.attrs["units"] = {c: ("the indicator's unit" if c in (edition.council.name, "Neighbours (median)",
                                                               "Neighbours (lowest)", "Neighbours (highest)",
                                                               edition.council.region, "England")
                               else "councils" if c == "Councils ranked" else "") for c in card.columns}

    ev = timeline(code, q)
    spans = [period_of(str(d), p) for d, p in zip(ev["date"], ev["precision"])]
    events = pd.DataFrame({
        "Date as published": ev["when"], "From": [pd.Timestamp(a) for a, _ in spans],
        "To": [pd.Timestamp(b) for _, b in spans], "Kind": ev["kind"], "Event": ev["title"],
        "Sources": ["; ".join(s) for s in ev["sources"]], "What the sources say": [" | ".join(x) for x in ev["quotes"]],
        "Grade": ev["grade"], "Framework": ev["framework"]})
    events.attrs["units"] = {"From": "date (first day of the period the source gives)",
                             "To": "date (last day of that period)"}

    rc = flags[flags.index.isin(ind["year"])].reset_index()
    changes = pd.DataFrame({"Year ending 31 March": rc["year"].astype(int), "Referrals": rc["referrals"].round(0),
                            "No further action (%)": rc["nfa_pct"].round(1),
                            "England: no further action (%)": rc["england_nfa_pct"].round(1),
                            "Referrals against the council's median of other years": rc["level_ratio"].round(2),
                            "Likely recording change": rc["flagged"].map({True: "yes", False: "no"}),
                            "Why": rc["reason"]})
    changes.attrs["units"] = {"Year ending 31 March": "year", "Referrals": "referrals in the year",
                              "No further action (%)": "% of referrals",
                              "England: no further action (%)": "% of referrals",
                              "Referrals against the council's median of other years": "ratio"}
    return {
        "Indicators": (pack, counts, "Indicators by year with neighbours' median, region and England "
                                     "(DfE official statistics, as published by the end of the quarter), rounded as "
                                     "published, with the years flagged as likely recording changes"),
        "Scorecard": (card, [], "Latest value of each indicator against neighbours, region and England, with rank, "
                                "quartile rating and direction of travel in words"),
        "Recording changes": (changes, ["Referrals"], "Each year's referrals against the council's usual level and "
                                                       "its share ending in no further action against England's: "
                                                       "the rule that flags a likely recording change"),
        "Timeline": (events, [], "Dated events with the sentence in each source that states each, dates as "
                                 "dates (the period the source gives)"),
    }


#: the sheets of the data pack, named in words for the edition's "About" page
SHEETS = ("indicators by year", "the scorecard", "the recording-change check", "the timeline")


def write_datapack(html_dir: Path, edition, meta: dict | None = None) -> Path:
    """Write ``data-pack.xlsx`` beside the edition's pages (in ``html_dir``); return its path. Written to a
    temporary file first, then moved into place."""
    out = Path(html_dir) / FILENAME
    notes = [("Edition", f"{edition.council.name} ({edition.council.code}), {edition.quarter}"),
             ("Disclosure", "Counts of 1 to 5 are shown as c, with rates computed from them; official tables arrive "
                            "already suppressed by DfE (c, x, z, low, u read as missing)."),
             ("Rates", "Per 10,000 children aged 0 to 17 (ONS mid-year estimate of the previous calendar year)."),
             ("Units", "The row under each sheet's headings gives the unit of each column."),
             ("Periods", "Children in need and looked-after figures are for the year ending 31 March; workforce "
                         "figures are the census snapshot at 30 September of the year shown."),
             ("Licence", "Official statistics of DfE, Ofsted and ONS: Crown copyright, Open Government Licence v3.0 "
                         "(data/official/PROVENANCE.md).")]
    with atomic.replacing(out) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for sheet, (frame, counts, about) in tables(edition).items():
                safe = safe_cells(suppress(frame, counts))
                units = frame.attrs.get("units")
                if units:  # the unit of each column, in the row under the headings
                    safe = pd.concat([pd.DataFrame([[units.get(c, "") for c in safe.columns]], columns=safe.columns),
                                      safe.astype(object)], ignore_index=True)
                safe.to_excel(xl, sheet_name=sheet, index=False)
                notes.append((f"Sheet {sheet}", about))
            own = set(sources_for(edition.council.code))
            for _, row in index().iterrows():
                if row["file"] in own:  # only the documents about this council
                    notes.append((f"Source {row['file']}", row["title"]))
            safe_cells(pd.DataFrame(notes, columns=["item", "note"])).to_excel(xl, sheet_name="Notes and sources",
                                                                               index=False)
        tmp.write_bytes(reproducible_xlsx(tmp.read_bytes(), document_date(edition.quarter)))
    return out


def document_date(quarter) -> datetime:
    """The date an edition's documents carry (workbook and paper properties): the end of its quarter, the date
    its data are known by; a rebuild of the same edition gives the same bytes."""
    return datetime.combine(quarter.end, time(0, 0))


#: zip entries' timestamp (the earliest a zip file can hold)
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def reproducible_xlsx(data: bytes, when: datetime) -> bytes:
    """An .xlsx (a zip) with fixed dates: its document properties created and modified set to ``when`` and every
    zip entry stamped 1980-01-01, entries and compression kept; openpyxl stamps the time of writing in both."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, content)
    return buf.getvalue()
