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
``status``          ``published`` or the marker's meaning (see :mod:`cscbook.core.markers`)
``table``           short name of the table

Which file holds which table, and when each release was published, is read from
``data/official/manifest.yml`` (:mod:`cscbook.data.manifest`). Schema problems raise
:class:`~cscbook.core.errors.DataSchemaError` naming the file, column and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import DataSchemaError
from cscbook.core.markers import parse_series
from cscbook.core.memo import memo
from cscbook.core.quarters import Quarter
from cscbook.data import manifest
from cscbook.data.releases import latest_year_published

GEO_COLUMNS = ["time_period", "geographic_level", "old_la_code", "la_name", "region_name"]
LEVELS = {"National", "Regional", "Local authority"}


@dataclass(frozen=True)
class TableSpec:
    """What the package needs of one official table (its files are listed in ``data/official/manifest.yml``)."""

    name: str
    measures: tuple[str, ...]
    required: tuple[str, ...] = tuple(GEO_COLUMNS)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            "referrals",
            (
                "referral_count",
                "rereferral_count",
                "rereferral_percent",
                "no_further_action_count",
                "no_further_action_percent",
                "not_in_need_count",
                "not_in_need_percent",
            ),
        ),
        TableSpec("cin",
                  ("Anypoint_child", "Started_episodes", "Ended_episodes", "At31_episodes", "awaiting_assessment")),
        TableSpec("s47", ("Section47", "Section47_child", "ICPC", "ICPC_child", "Duration_median")),
        TableSpec("assessments", ("Episodes_with_assessment_factor",)),
        TableSpec("cpp_starts", ("CPP_start", "CPP_subsequent", "CPP_subsequent_percent")),
        TableSpec("cpp_stock", ("CPP_At31", "2_years_or_more", "2_years_or_more_percent")),
        TableSpec("population", ("population_estimate",)),
        TableSpec(
            "workforce",
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
        ),
        # Children looked after 2019 onwards (EES layout, one row per population type); joined to the
        # legacy table ``cla_legacy`` for 2010-2018.
        TableSpec("cla", ("cla_at_31_march", "cla_started", "cla_ceased"),
                  (*GEO_COLUMNS, "population_type", "children_count")),
    ]
}

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
CLA_LEGACY = "cla_legacy"


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


def tidy_cla(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Tidy an EES children looked after file (one row per population type) into the long layout."""
    _fail_first(~frame["population_type"].isin(CLA_TYPES), frame, file, "population_type",
                f"is not one of {sorted(CLA_TYPES)}")
    parts = []
    for label, measure in CLA_TYPES.items():
        sub = frame[frame["population_type"] == label]
        parts.append(tidy(sub.rename(columns={"children_count": measure}), (measure,), file, "cla"))
    return pd.concat(parts, ignore_index=True)


def read_release(table: str, path: Path) -> pd.DataFrame:
    """One file of ``table`` in the long tidy layout (for ``cla``: the 2019+ EES file only)."""
    spec = TABLES[table]
    frame = read_csv_checked(path, spec.required)
    if table == "cla":
        return tidy_cla(frame, path.name)
    return tidy(frame, spec.measures, path.name, table)


@memo(maxsize=None)
def _load_table_cached(name: str, files: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The tidy table from its files, each given as (path, sha256 recorded in the manifest)."""
    path = Path(files[0][0])
    if name == "cla":
        return _load_cla(path, Path(files[1][0]))
    return read_release(name, path)


def _check_name(name: str) -> None:
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(sorted(TABLES))}")


def release_for(name: str, as_of: "Quarter | None" = None) -> manifest.Release:
    """The release of ``name`` an edition for quarter ``as_of`` reads (the newest if ``as_of`` is None)."""
    return manifest.release_as_of(paths.official_dir(), name, as_of.end if as_of is not None else None)


def load_table(name: str, as_of: "Quarter | None" = None) -> pd.DataFrame:
    """One official table in the long tidy layout (a copy: callers may modify it).

    Without ``as_of``, the newest release with every year it holds. With ``as_of`` (a
    :class:`~cscbook.core.quarters.Quarter`), what was known at the end of that quarter: the newest release
    published by then, and only the years published by then, so a past edition keeps the figures it showed,
    even where a later release revised them.
    """
    _check_name(name)
    official = paths.official_dir()
    rel = release_for(name, as_of)
    files = [(str(official / rel.file), rel.sha256)]
    if name == "cla":
        legacy = manifest.release_as_of(official, CLA_LEGACY)
        files.append((str(official / legacy.file), legacy.sha256))
    frame = _load_table_cached(name, tuple(files))
    if as_of is not None:
        last = latest_year_published(name, as_of)
        frame = frame[frame["year"] <= (last if last is not None else -1)].reset_index(drop=True)
    return frame.copy()


def _load_cla(modern_path: Path, legacy_path: Path) -> pd.DataFrame:
    """Children looked after 2010 onwards: legacy SFR tables (local authorities) joined to the EES file."""
    modern = read_release("cla", modern_path)
    # London appears as Inner and Outer London in this file: keep regions that the CIN tables also use.
    legacy = read_csv_checked(legacy_path, ["time_period", "geographic_level", "old_la_code", "la_name"])
    legacy = legacy[legacy["geographic_level"] == "Local authority"].copy()
    legacy["region_name"] = ""
    legacy = legacy.rename(columns=CLA_LEGACY_MEASURES)
    old = tidy(legacy, tuple(CLA_LEGACY_MEASURES.values()), legacy_path.name, "cla")
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


def la_values(table: str, measure: str, as_of: "Quarter | None" = None) -> pd.DataFrame:
    """Local-authority values of one measure as a frame indexed by (old_la_code, year): value, status.

    ``as_of`` as for :func:`load_table`.
    """
    t = load_table(table, as_of)
    t = t[(t["level"] == "Local authority") & (t["measure"] == measure)]
    return t.set_index(["old_la_code", "year"])[["value", "status"]].sort_index()
