"""A committed list of editions (``cscbook build --editions editions.yml``): a YAML list, one entry per edition.

    - council: Buckinghamshire      # name or three-digit DfE code (required)
      quarter: 2026Q1               # calendar quarter YYYYQn (default: the latest the data support)
    - council: 938
      quarter: 2019Q2
      monthly: extracts/938.csv     # optional: the council's monthly extract (relative to this file)
      cin_census: [returns/2023.xml, returns/2024.xml]   # optional instead: CIN census returns
      scenarios: scenarios/938.yml  # optional: what-if scenarios

The file is checked as a whole before anything runs: every problem (unknown key, bad council or quarter,
missing file, duplicated edition) is reported on its own line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cscbook.core import atomic
from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import excerpt, load_yaml
from cscbook.data.edition import check_span, latest_quarter, parse_council, parse_quarter

KEYS = ("council", "quarter", "monthly", "cin_census", "scenarios")


@dataclass(frozen=True)
class EditionSpec:
    """One entry of an editions file, as written (paths made absolute from the file's folder)."""

    council: str
    quarter: str | None = None
    monthly: Path | None = None
    cin_census: tuple[Path, ...] = ()
    scenarios: Path | None = None

    def as_yaml(self, base: Path) -> dict:
        """The entry as written in an editions file: its paths relative to the folder ``base`` where they lie
        under it, absolute otherwise; fields not set are left out."""

        def rel(p: Path) -> str:
            try:
                return str(p.relative_to(base))
            except ValueError:
                return str(p)

        out: dict = {"council": self.council}
        if self.quarter:
            out["quarter"] = self.quarter
        if self.monthly:
            out["monthly"] = rel(self.monthly)
        if self.cin_census:
            out["cin_census"] = [rel(p) for p in self.cin_census]
        if self.scenarios:
            out["scenarios"] = rel(self.scenarios)
        return out


def read_editions(path: str | Path) -> list[EditionSpec]:
    """Read and check an editions file; raise CSCBookError with one line per problem."""
    path = Path(path)
    name = path.name
    doc = load_yaml(path, f"--editions {name}", "a YAML list of editions (- council: ..., quarter: ...)")
    if not isinstance(doc, list) or not doc:
        raise CSCBookError(f"{name}: expected a YAML list of editions, e.g. '- council: Buckinghamshire' "
                           "then '  quarter: 2026Q1'")
    base = path.resolve().parent
    problems: list[str] = []
    specs: list[EditionSpec] = []
    seen: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(doc, start=1):
        where = f"{name}: edition {i}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected keys such as 'council: Buckinghamshire', got {excerpt(entry)}")
            continue
        unknown = [k for k in entry if k not in KEYS]
        for key in unknown:
            problems.append(f"{where}: unknown key {excerpt(key)}; the keys are {', '.join(KEYS)}")
        if "council" not in entry:
            problems.append(f"{where}: 'council' is missing; give a name or three-digit DfE code, e.g. council: 938")
            continue
        try:
            council = parse_council(entry["council"], "council")
            q = parse_quarter(str(entry["quarter"]) if entry.get("quarter") is not None else None, "quarter")
            q = check_span(council, q or latest_quarter(), "council", "quarter")
        except CSCBookError as exc:
            problems.append(f"{where}: {exc}")
            continue
        files: dict[str, list[Path]] = {}
        for key in ("monthly", "cin_census", "scenarios"):
            value = entry.get(key)
            if value in (None, "", []):
                continue
            items = value if isinstance(value, list) else [value]
            if key != "cin_census" and isinstance(value, list):
                problems.append(f"{where}: {key!r} takes one file, got a list")
                continue
            for item in items:
                f = (base / str(item)).resolve()
                if not f.is_file():
                    problems.append(f"{where}: {key} file {excerpt(item)} not found (paths are relative to {name})")
                files.setdefault(key, []).append(f)
        if files.get("monthly") and files.get("cin_census"):
            problems.append(f"{where}: give 'monthly' or 'cin_census', not both")
        ident = (council.code, str(q))
        if ident in seen:
            problems.append(f"{where}: {council.name} ({council.code}) {q} is already edition {seen[ident]}; "
                            "list each edition once")
            continue
        seen[ident] = i
        specs.append(EditionSpec(str(entry["council"]), str(entry["quarter"]) if entry.get("quarter") else None,
                                 (files.get("monthly") or [None])[0], tuple(files.get("cin_census") or ()),
                                 (files.get("scenarios") or [None])[0]))
    if problems:
        raise CSCBookError("\n".join(problems))
    return specs


def write_editions(specs: list[EditionSpec], path: str | Path) -> Path:
    """Write an editions file (paths relative to its folder), atomically."""

    path = Path(path)
    base = path.resolve().parent
    text = yaml.safe_dump([s.as_yaml(base) for s in specs], sort_keys=False, allow_unicode=True)
    return atomic.write_text(path, text)
