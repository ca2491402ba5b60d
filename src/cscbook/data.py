"""Load the official tables in ``data/official`` into tidy frames.

Every table comes out *long*: one row per (year, geography, measure) with

``year``            year ending 31 March (DfE ``time_period``; for the workforce census the 30 September
                    snapshot of that year)
``level``           ``National``, ``Regional`` or ``Local authority``
``old_la_code``     three-digit DfE code as a string (empty for national and regional rows)
``region_name``     region of the row (empty for national rows)
``la_name``         name as published that year
``measure``         the publisher's column name
``value``           float; NaN where the publisher printed a marker or nothing
``status``          ``published`` or the marker's meaning (see :mod:`cscbook.markers`)
``table``           short name of the table

Schema problems raise :class:`~cscbook.errors.DataSchemaError` naming the file, column and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataSchemaError
from .markers import parse_series

GEO_COLUMNS = ["time_period", "geographic_level", "old_la_code", "la_name", "region_name"]
LEVELS = {"National", "Regional", "Local authority"}


@dataclass(frozen=True)
class TableSpec:
    """How to read one official file."""

    name: str
    file: str
    measures: tuple[str, ...]
    title: str
    publisher: str = "Department for Education"
    required: tuple[str, ...] = tuple(GEO_COLUMNS)
    #: measures kept even if a few cells are unparseable (none: every cell must parse)
    notes: str = ""
    extra: dict = field(default_factory=dict)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            "referrals",
            "dfe_cin_c1_referrals_rereferrals_2013_2025.csv",
            (
                "referral_count",
                "rereferral_count",
                "rereferral_percent",
                "no_further_action_count",
                "no_further_action_percent",
                "not_in_need_count",
                "not_in_need_percent",
            ),
            "Children in need: referrals and re-referrals (table C1)",
        ),
        TableSpec(
            "cin",
            "dfe_cin_b1_children_in_need_2013_2025.csv",
            ("Anypoint_child", "Started_episodes", "Ended_episodes", "At31_episodes", "awaiting_assessment"),
            "Children in need: episodes and children (table B1)",
        ),
        TableSpec(
            "s47",
            "dfe_cin_c4_s47_icpc_2013_2025.csv",
            ("Section47", "Section47_child", "ICPC", "ICPC_child", "Duration_median"),
            "Section 47 enquiries and initial child protection conferences (table C4)",
        ),
        TableSpec(
            "assessments",
            "dfe_cin_c3_assessment_factors_2018_2025.csv",
            ("Episodes_with_assessment_factor",),
            "Factors identified at the end of assessment (table C3)",
        ),
        TableSpec(
            "cpp_starts",
            "dfe_cin_d3_cpp_starts_subsequent_2013_2025.csv",
            ("CPP_start", "CPP_subsequent", "CPP_subsequent_percent"),
            "Child protection plans starting, second or subsequent (table D3)",
        ),
        TableSpec(
            "cpp_stock",
            "dfe_cin_d5_cpp_at31march_duration_2013_2025.csv",
            ("CPP_At31", "2_years_or_more", "2_years_or_more_percent"),
            "Child protection plans at 31 March by length (table D5)",
        ),
        TableSpec(
            "population",
            "ons_population_0to17_by_la_2012_2024.csv",
            ("population_estimate",),
            "Mid-year population estimates, children aged 0 to 17",
            publisher="Office for National Statistics (DfE layout)",
        ),
        TableSpec(
            "workforce",
            "dfe_csww_indicators_2017_2025.csv",
            (
                "inpost_fte",
                "agency_fte",
                "agency_rate_fte",
                "turnover_rate_fte",
                "vacancy_fte",
                "vacancy_rate_fte",
                "case_holders_fte",
                "cases",
                "caseload_fte",
                "absence_rate_fte",
            ),
            "Children's social work workforce (30 September snapshot)",
        ),
    ]
}

CLA_FILE = "dfe_cla_number_rate_2019_2025.csv"
CLA_LEGACY_FILE = "dfe_cla_legacy_sfr_by_la_2010_2018.csv"
CLA_TYPES = {
    "Children looked after on 31 March each year": "cla_at_31_march",
    "Children starting to be looked after each year": "cla_started",
    "Children ceasing to be looked after each year": "cla_ceased",
}
CLA_LEGACY_MEASURES = {
    "cla_at_31_march": "cla_at_31_march",
    "started_during_year": "cla_started",
    "ceased_during_year": "cla_ceased",
}


def read_csv_checked(path: Path, required: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Read a CSV as text with a clear error for missing files and columns."""
    if not path.exists():
        raise DataSchemaError(f"{path}: file not found; restore it from the repository (git checkout -- {path.name})")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataSchemaError(f"{path}: cannot be read as UTF-8 CSV ({exc}); re-export it as CSV (UTF-8)") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataSchemaError(
            f"{path.name}: column {missing[0]!r} is missing (expected columns include {', '.join(required)})"
        )
    return frame


def _line(index_label: int) -> int:
    """File line number of a data row (header is line 1)."""
    return int(index_label) + 2


def _fail_first(bad: pd.Series, frame: pd.DataFrame, file: str, column: str, problem: str) -> None:
    """Raise for the first row where ``bad`` holds, naming file, column, line and value."""
    if bad.any():
        i = bad[bad].index[0]
        raise DataSchemaError(f"{file}: column {column!r} line {_line(i)}: {frame.at[i, column]!r} {problem}")


def _check_geography(frame: pd.DataFrame, file: str) -> None:
    years = pd.to_numeric(frame["time_period"], errors="coerce")
    _fail_first(years.isna() | (years < 1990) | (years > 2100), frame, file, "time_period", "is not a year (YYYY)")
    _fail_first(~frame["geographic_level"].isin(LEVELS), frame, file, "geographic_level",
                f"is not one of {sorted(LEVELS)}")
    la = frame["geographic_level"] == "Local authority"
    code = frame["old_la_code"].str.strip()
    bad_code = la & ~code.str.fullmatch(r"\d{3}")
    # The workforce census reports North and West Northamptonshire jointly as "940 / 941".
    bad_code &= ~code.str.fullmatch(r"\d{3} / \d{3}")
    _fail_first(bad_code, frame, file, "old_la_code", "is not a three-digit LA code")


def tidy(frame: pd.DataFrame, measures: tuple[str, ...], file: str, table: str) -> pd.DataFrame:
    """Melt an EES-layout frame into the long tidy layout, parsing markers."""
    _check_geography(frame, file)
    missing = [m for m in measures if m not in frame.columns]
    if missing:
        raise DataSchemaError(f"{file}: column {missing[0]!r} is missing; the file may be a different release")
    base = pd.DataFrame(
        {
            "year": frame["time_period"].astype(int),
            "level": frame["geographic_level"],
            "old_la_code": frame["old_la_code"].str.strip().where(frame["geographic_level"] == "Local authority", ""),
            "region_name": frame["region_name"].str.strip(),
            "la_name": frame["la_name"].str.strip(),
        }
    )
    parts = []
    for measure in measures:
        try:
            values, status = parse_series(frame[measure])
        except ValueError as exc:
            row = str(exc).rsplit(" ", 1)[-1]
            raise DataSchemaError(
                f"{file}: column {measure!r} line {_line(int(row))}: {str(exc).split(' at row')[0]}; "
                "expected a number or a publisher marker (c, x, z, low, u, :)"
            ) from None
        part = base.copy()
        part["measure"] = measure
        part["value"] = values.values
        part["status"] = status.values
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["table"] = table
    return out


@lru_cache(maxsize=None)
def _load_table_cached(name: str, root: str) -> pd.DataFrame:
    if name == "cla":
        return _load_cla(Path(root))
    spec = TABLES[name]
    path = Path(root) / spec.file
    frame = read_csv_checked(path, spec.required)
    return tidy(frame, spec.measures, spec.file, name)


def load_table(name: str) -> pd.DataFrame:
    """One official table in the long tidy layout (a copy: callers may modify it)."""
    if name not in TABLES and name != "cla":
        raise KeyError(f"unknown table {name!r}; known: {', '.join(sorted([*TABLES, 'cla']))}")
    return _load_table_cached(name, str(paths.official_dir())).copy()


def _load_cla(root: Path) -> pd.DataFrame:
    """Children looked after 2010-2025: legacy SFR tables (local authorities) joined to the EES file."""
    new = read_csv_checked(root / CLA_FILE, [*GEO_COLUMNS, "population_type", "children_count"])
    _fail_first(~new["population_type"].isin(CLA_TYPES), new, CLA_FILE, "population_type",
                f"is not one of {sorted(CLA_TYPES)}")
    parts = []
    for label, measure in CLA_TYPES.items():
        sub = new[new["population_type"] == label]
        t = tidy(sub.rename(columns={"children_count": measure}), (measure,), CLA_FILE, "cla")
        parts.append(t)
    modern = pd.concat(parts, ignore_index=True)
    # London appears as Inner and Outer London in this file: keep regions that the CIN tables also use.
    legacy = read_csv_checked(root / CLA_LEGACY_FILE, ["time_period", "geographic_level", "old_la_code", "la_name"])
    legacy = legacy[legacy["geographic_level"] == "Local authority"].copy()
    legacy["region_name"] = ""
    legacy = legacy.rename(columns=CLA_LEGACY_MEASURES)
    old = tidy(legacy, tuple(CLA_LEGACY_MEASURES.values()), CLA_LEGACY_FILE, "cla")
    old = old[old["year"] < modern["year"].min()]
    old = _resolve_repeats(old)
    return pd.concat([old, modern], ignore_index=True)


AMBIGUOUS = "ambiguous in source"


def _resolve_repeats(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (LA, year, measure): identical repeats collapse; conflicting repeats become missing.

    The 2010 looked-after files give Isle of Wight the code 921 that England also uses, so its starters and
    leavers appear with England's figures too: those cells are kept as missing, status 'ambiguous in source'.
    """
    keys = ["old_la_code", "year", "measure"]
    groups = frame.groupby(keys, sort=False)["value"]
    conflicting = groups.transform("nunique") > 1
    frame = frame.copy()
    frame.loc[conflicting, "value"] = float("nan")
    frame.loc[conflicting, "status"] = AMBIGUOUS
    return frame.drop_duplicates(keys, keep="first").reset_index(drop=True)


def la_values(table: str, measure: str) -> pd.DataFrame:
    """Local-authority values of one measure as a frame indexed by (old_la_code, year): value, status."""
    t = load_table(table)
    t = t[(t["level"] == "Local authority") & (t["measure"] == measure)]
    return t.set_index(["old_la_code", "year"])[["value", "status"]].sort_index()


def table_catalogue() -> pd.DataFrame:
    """The official tables the package reads: name, file, title, publisher."""
    rows = [dict(table=s.name, file=s.file, title=s.title, publisher=s.publisher) for s in TABLES.values()]
    rows.append(
        dict(
            table="cla",
            file=f"{CLA_LEGACY_FILE}; {CLA_FILE}",
            title="Children looked after: at 31 March, started and ceased",
            publisher="Department for Education",
        )
    )
    return pd.DataFrame(rows)
