"""``cscbook extract --cin-census FILE...``: read CIN census returns, write the monthly extract, print what was
read and how it compares with DfE's published referrals.

Part of the CIN census reader (:mod:`cscbook.data.cincensus` describes it whole).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd

from cscbook.data import cinrules as rules
from cscbook.data import monthly as contract
from cscbook.data import reconciliation
from cscbook.data.annexa import add_contacts, read_annex_a
from cscbook.data.cincensus import MAX_WARNINGS_PRINTED, CensusResult, read_returns
from cscbook.data.register import resolve


def digest(files: list[Path]) -> str:
    """A SHA-256 of the returns' contents (not their paths), the same whatever order they are given in.

    For cache keys: it changes when any byte of any return changes, and reveals nothing about the contents.
    """
    parts = []
    for f in files:
        h = hashlib.sha256()
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        parts.append(h.hexdigest())
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def write_extract(result: CensusResult, path: str | Path) -> Path:
    """Write the monthly series as a contract CSV, atomically (nothing partial on failure)."""
    return contract.write_csv(result.monthly, path)


def summary(result: CensusResult, reconciliation_table: pd.DataFrame | None = None) -> str:
    """The text the command line prints: what was read, how, and how it compares with DfE."""
    rep = result.report
    lines = []
    for f in rep["files"]:
        note = ""
        if f["newer_than_known"]:
            note = f"; year {f['collection_year']} is newer than the newest known schema, checked against {f['schema_year']}"
        elif f["older_than_known"]:
            note = f"; year {f['collection_year']} is older than the oldest known schema, checked against {f['schema_year']}"
        if f.get("in_year"):
            note += f"; an in-year extract to {f['reference_date']}"
        lines.append(f"{f['file']}: CIN census {f['collection_year']}, council {f['lea']}, checked against DfE schema "
                     f"{f['schema_year']}{note}; {f['children']} children, {f['episodes']} episodes")
        if f.get("excluded"):
            lines.append(f"  excluded {sum(f['excluded'].values())} of {f['held']} episodes: " + ", ".join(
                f"{label} {f['excluded'][r]}" for r, label in rules.REASONS.items() if r in f["excluded"]))
    warnings = result.warnings
    for p in warnings[:MAX_WARNINGS_PRINTED]:
        lines.append("  " + p.text())
    if len(warnings) > MAX_WARNINGS_PRINTED:
        lines.append(f"  ... and {len(warnings) - MAX_WARNINGS_PRINTED} more warnings ('cscbook validate' lists them)")
    if rep.get("partial_month_left_out"):
        lines.append(f"{rep['partial_month_left_out']} is incomplete (the extract ends on its reference date) and is "
                     "left out")
    lines.append(f"months {rep['months'][0]} to {rep['months'][1]}: {rep['episodes']} episodes after removing "
                 f"{rep['duplicates_removed']} held in two returns ({rep['disagreements']} where the later return "
                 "disagreed and was used)")
    if rep.get("missing_from_next_return"):
        lines.append(f"CHECK: {rep['missing_from_next_return']} episodes open at a census date are missing from the "
                     "next year's return (counted as still open)")
    if rep.get("rereferrals_from"):
        lines.append(f"re-referrals from {rep['rereferrals_from']} (earlier months lack the previous year's referrals)")
    if reconciliation_table is not None and len(reconciliation_table):
        lines.append("referrals against DfE table C1:")
        lines += reconciliation.lines(reconciliation_table)
    return "\n".join(lines)


def extract_command(files: list[str], la: str | None, output: str, annex_a: str | None = None,
                    strict: bool = False) -> str:
    """``cscbook extract --cin-census FILE... [--la X] [--annex-a WORKBOOK] [--strict] --output monthly.csv``: read,
    write, summarise. With Ofsted's Annex A workbook, its monthly contacts join the series (the census has none).
    ``strict`` refuses a return with any error (default: episodes that break a rule are excluded and counted)."""
    code = None
    if la is not None:
        code = resolve(la).code
    result = read_returns([Path(f) for f in files], code, strict)
    code = code or result.report["lea"]
    table = reconciliation.reconcile(result.monthly, code)
    note = ""
    if annex_a:
        annex = read_annex_a(annex_a)
        result = replace(result, monthly=add_contacts(result.monthly, annex))
        known = int(result.monthly["contacts"].notna().sum())
        note = f"\ncontacts from Annex A for {known} of {len(result.monthly)} months"
    path = write_extract(result, output)
    return summary(result, table) + note + f"\nwritten {len(result.monthly)} months to {path.name}"
