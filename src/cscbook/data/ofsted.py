"""Official Ofsted outcomes for every council, as timeline events.

* ``ofsted_la_inspections_2009_2023_SLAC_SIF_ILACS.csv``: SLAC, SLAC re-inspections, child protection
  inspections and re-inspections, looked-after children inspections, SIF and SIF re-inspections (publication
  dates and judgements, with every SIF sub-judgement). ILACS rows of this file are superseded by the next file.
* ``ofsted_ilacs_inspection_history_2018_2025.csv``: every ILACS inspection with inspection and publication
  dates and sub-judgements.
* ``ofsted_ilacs_inyear_inspections_and_visits_2024_25.csv``: focused visits, monitoring visits and
  inspections published in 2024-25 (inspections already in the history file are not repeated).

Councils are matched by GSS code where the file has one, otherwise by name (table 11 of the first file
holds councils that existed before a reorganisation, matched to their old code).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import DataSchemaError
from cscbook.core.memo import memo
from cscbook.data import manifest
from cscbook.data.register import _normalise, register

#: tables in data/official/manifest.yml (which file holds each comes from the manifest)
SIF_TABLE = "ofsted_inspections_2009_2023"
ILACS_TABLE = "ofsted_ilacs_history"
INYEAR_TABLE = "ofsted_ilacs_inyear"

GRADES = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires improvement to be good": "Requires improvement",
    "requires improvement": "Requires improvement",
    "adequate": "Adequate",
    "inadequate": "Inadequate",
}

# (framework label, date column, overall column, [sub-judgement columns])
SIF_BLOCKS = [
    ("SLAC safeguarding", "Safeguarding & Looked After Children (SLAC) Inspection publication date",
     "SLAC Safeguarding Overall effectiveness (OE)", ["SLAC Looked After Children Overall Effectiveness (OE)"]),
    ("SLAC re-inspection (safeguarding)", "SLAC re-inspection of Safeguarding publication date",
     "SLAC re-inspection Safeguarding OE", []),
    ("SLAC re-inspection (looked after children)",
     "SLAC re-inspection of services for Children Looked After publication date",
     "SLAC re-inspection of services Children Looked After OE", []),
    ("Child protection inspection", "Child Protection Inspections (CPI) publication date",
     "CPI Overall Effectiveness (OE)", []),
    ("Child protection re-inspection", "Child Protection Re-Inspection (CPRI) publication date",
     "CPRI Overall Effectiveness (OE)", []),
    ("Looked after children inspection", "Targeted Looked After Children (TLAC) inspection publication date",
     "TLAC Overall Effectiveness (OE)", []),
    ("SIF", "Single Inspection of LA Children's Services (SIF)  First SIF publication date",
     "First SIF Overall Judgement (OE)",
     ["First SIF children who need help and protection", "First SIF children looked after and achieving permanence",
      "First SIF CLA Sub: Adoption Performance", "First SIF CLA Sub: Experiences and progress of care leavers",
      "First SIF leadership, management and governance", "LSCB Overall Effectiveness"]),
    ("SIF re-inspection", "Single Inspection of LA Children's Services (SIF) SIF Re-inspection publication date",
     "SIF Re-inspection Overall Judgement (OE)",
     ["SIF Re-inspection children who need help and protection",
      "SIF Re-inspection children looked after and achieving permanence",
      "SIF Re-inspection CLA Sub: Adoption Performance",
      "SIF Re-inspection CLA Sub: Experiences and progress of care leavers",
      "SIF Re-inspection leadership, management and governance"]),
]
ILACS_SUBS = [
    "The impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
]


#: frameworks before the single inspection framework (2009 to 2013) graded outstanding, good, adequate or
#: inadequate (SLAC framework, Ofsted 2009, reference 090027: "Four grades: Outstanding; good; adequate;
#: inadequate"); Ofsted's 2023 history table records their middle grade as "Requires improvement to be good",
#: a grade that did not exist then, so the book shows it as the framework gave it
ADEQUATE_ERA = ("SLAC", "Child protection", "Looked after children inspection")


def framework_grade(framework: str, graded: str | None) -> str | None:
    """The grade as the framework gave it: 'Adequate' for a pre-2013 framework's middle grade (see
    :data:`ADEQUATE_ERA`), else ``graded`` unchanged."""
    if graded == "Requires improvement" and str(framework).startswith(ADEQUATE_ERA):
        return "Adequate"
    return graded


def grade(text) -> str | None:
    """An Ofsted judgement in the package's spelling (see :data:`GRADES`) from the text a file holds (any case);
    None for blank, ``-`` or missing; text that is not a known grade is returned stripped."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    key = str(text).strip().lower()
    if key in ("", "-", "nan"):
        return None
    return GRADES.get(key, str(text).strip())


def _code_maps():
    reg = register()
    by_gss = {}
    for code, codes in reg["new_codes"].items():
        for g in codes:
            by_gss.setdefault(g, code)
    by_name: dict[str, list[str]] = {}
    for code, names in reg["names"].items():
        for n in names:
            by_name.setdefault(_normalise(n), []).append(code)
    return reg, by_gss, by_name


def _by_name(name: str, predecessor: bool, reg, by_name) -> str | None:
    codes = by_name.get(_normalise(name), [])
    if not codes:
        return None
    key = (lambda c: reg.at[c, "last_year"])
    return min(codes, key=key) if predecessor else max(codes, key=key)


@memo(maxsize=None)
def _events_cached(files: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """Events from the three Ofsted files; ``files`` is ((path, sha256), ...) for SIF, ILACS, in-year."""
    (sif_path, _), (ilacs_path, _), (inyear_path, _) = files
    SIF_FILE, ILACS_FILE, INYEAR_FILE = (Path(p).name for p, _ in files)
    reg, by_gss, by_name = _code_maps()
    rows = []
    sif = read_csv_checked(Path(sif_path), ["Local authority name", "table"])
    for line, r in sif.iterrows():
        predecessor = str(r["table"]).startswith("Table 11")
        code = _by_name(r["Local authority name"], predecessor, reg, by_name)
        if code is None:
            raise DataSchemaError(f"{SIF_FILE}: line {int(line) + 2}: council {r['Local authority name']!r} is not in "
                                  "the register")
        for label, date_col, overall_col, subs in SIF_BLOCKS:
            when = str(r.get(date_col, "")).strip()
            if not when:
                continue
            overall = framework_grade(label, grade(r.get(overall_col)))
            detail = "; ".join(f"{c}: {framework_grade(label, grade(r.get(c)))}" for c in subs if grade(r.get(c)))
            rows.append(dict(
                date=when, precision="day", end_date="", inspection_date="", la_code=code, kind="judgement",
                framework=label, grade=overall,
                title=f"{label} published: {overall or 'no overall grade'}",
                source=SIF_FILE,
                quote=f"{date_col}: {when}; {overall_col}: {r.get(overall_col)}" + (f"; {detail}" if detail else ""),
            ))
    ilacs = read_csv_checked(Path(ilacs_path),
                             ["Local authority area code", "Inspection date", "Publication date", "Inspection type",
                              "Overall effectiveness"])
    seen = set()
    for line, r in ilacs.iterrows():
        code = by_gss.get(r["Local authority area code"].strip()) or _by_name(r["Local authority name"], False, reg,
                                                                               by_name)
        if code is None:
            raise DataSchemaError(f"{ILACS_FILE}: line {int(line) + 2}: council {r['Local authority area code']!r} "
                                  "is not in the register")
        overall = grade(r["Overall effectiveness"])
        subs = "; ".join(f"{c}: {grade(r.get(c))}" for c in ILACS_SUBS if grade(r.get(c)))
        seen.add((code, r["Inspection date"]))
        rows.append(dict(
            date=r["Publication date"], precision="day", end_date="", inspection_date=r["Inspection date"],
            la_code=code, kind="judgement", framework=r["Inspection type"], grade=overall,
            title=f"{r['Inspection type']} published: {overall}", source=ILACS_FILE,
            quote=f"Inspection date: {r['Inspection date']}; Publication date: {r['Publication date']}; "
                  f"Overall effectiveness: {r['Overall effectiveness']}" + (f"; {subs}" if subs else ""),
        ))
    inyear = read_csv_checked(Path(inyear_path),
                              ["Local authority area code", "Inspection/Visit date", "Publication date",
                               "Inspection/Visit type"])
    for line, r in inyear.iterrows():
        code = by_gss.get(r["Local authority area code"].strip()) or _by_name(r["Local authority name"], False, reg,
                                                                               by_name)
        if code is None or (code, r["Inspection/Visit date"]) in seen:
            continue
        kind_text = r["Inspection/Visit type"]
        overall = grade(r.get("Overall effectiveness"))
        theme = str(r.get("Visit Theme", "")).strip()
        graded = overall is not None
        rows.append(dict(
            date=r["Publication date"], precision="day", end_date="", inspection_date=r["Inspection/Visit date"],
            la_code=code, kind="judgement" if graded else "visit", framework=kind_text, grade=overall,
            title=f"{kind_text} published" + (f": {overall}" if graded else (f" ({theme})" if theme else "")),
            source=INYEAR_FILE,
            quote=f"Inspection/Visit date: {r['Inspection/Visit date']}; Publication date: {r['Publication date']}; "
                  f"Inspection/Visit type: {kind_text}" + (f"; Overall effectiveness: {r['Overall effectiveness']}"
                                                           if graded else "") + (f"; Visit Theme: {theme}" if theme else ""),
        ))
    out = pd.DataFrame(rows)
    # inspection periods as their own events, so the timeline shows when inspectors were on site
    return out.sort_values(["la_code", "date"]).reset_index(drop=True)


def official_events() -> pd.DataFrame:
    """Every council's Ofsted events from the newest releases of the SIF, ILACS and in-year files in
    data/official: one row per event (``la_code``, publication ``date``, ``inspection_date``, ``kind``, ``framework``,
    ``grade``, ``title``, ``source`` and more), a copy."""
    official = paths.official_dir()
    files = []
    for table in (SIF_TABLE, ILACS_TABLE, INYEAR_TABLE):
        release = manifest.release_as_of(official, table)
        files.append((str(official / release.file), release.sha256))
    return _events_cached(tuple(files)).copy()


def official_events_of(la: str) -> pd.DataFrame:
    """:func:`official_events` of one council (a copy), from a split of the events made once per process."""
    official = paths.official_dir()
    files = tuple((str(official / r.file), r.sha256) for r in
                  (manifest.release_as_of(official, t) for t in (SIF_TABLE, ILACS_TABLE, INYEAR_TABLE)))
    by_council = _by_council(files)
    return by_council[la].copy() if la in by_council else _events_cached(files).iloc[:0].copy()


@memo(maxsize=4)
def _by_council(files: tuple) -> dict:
    return {code: g for code, g in _events_cached(files).groupby("la_code")}


def judgements(la: str) -> pd.DataFrame:
    """Graded overall judgements for a council: date (publication), framework, grade."""
    ev = official_events()
    ev = ev[(ev["la_code"] == la) & (ev["kind"] == "judgement") & ev["grade"].notna()]
    return ev[["date", "inspection_date", "framework", "grade", "source"]].reset_index(drop=True)


def judgements_until(la: str, quarter) -> pd.DataFrame:
    """:func:`judgements` published by the end of ``quarter`` (what an edition for that quarter can show)."""
    from datetime import date

    j = judgements(la)
    return j[j["date"].map(lambda d: date.fromisoformat(str(d)[:10])) <= quarter.end].reset_index(drop=True)


def inadequate_publications() -> pd.DataFrame:
    """Every publication of an overall 'Inadequate' judgement under SIF, SIF re-inspection or ILACS."""
    ev = official_events()
    frameworks = ev["framework"].str.startswith(("SIF", "ILACS"))
    return ev[frameworks & (ev["grade"] == "Inadequate")][["la_code", "date", "framework"]].reset_index(drop=True)
