"""The register of English local authorities with children's services responsibilities.

Keyed by the three-digit DfE ``old_la_code``, the code that stays stable across reorganisations
(Buckinghamshire keeps 825 after becoming a unitary council in 2020). Built from the official files:
names, new codes and regions from the newest children in need table C1 (``referrals``) and population table,
statistical neighbours from DfE's model (``neighbours``), each file named in ``data/official/manifest.yml``;
reorganisations from ``data/curated/la_reorganisations.csv``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cscbook.core import paths
from cscbook.core.csvfile import read_csv_checked
from cscbook.core.errors import DataSchemaError, UnknownCouncilError
from cscbook.core.inputs import excerpt
from cscbook.core.memo import memo
from cscbook.data import manifest

#: Official tables the register is built from (names in data/official/manifest.yml).
NAME_TABLES = ("referrals", "population")
NEIGHBOURS_TABLE = "neighbours"
REORG_FILE = "la_reorganisations.csv"


@dataclass(frozen=True)
class Council:
    """One council of the register: three-digit DfE code, latest name and region, its GSS codes over time, the
    first and last years it reported (year ending 31 March) and its statistical neighbours' codes (nearest first)."""

    code: str
    name: str
    region: str
    new_codes: tuple[str, ...]
    first_year: int
    last_year: int
    neighbours: tuple[str, ...]


def _normalise(name: str) -> str:
    text = re.sub(r",\s*(city|county) of\s*$", "", name.lower()).replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    text = re.sub(r"\b(council|county|city of|borough|metropolitan|the)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@memo(maxsize=None)
def _build(names_files: tuple[tuple[str, str], ...],
           sn: tuple[str, str]) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The register from the (path, sha256) of the C1 and population files and of the neighbours file."""
    frames = []
    for path, _sha in names_files:
        f = read_csv_checked(
            Path(path), ["time_period", "geographic_level", "old_la_code", "new_la_code", "la_name", "region_name"]
        )
        f = f[f["geographic_level"] == "Local authority"]
        frames.append(f[["time_period", "old_la_code", "new_la_code", "la_name", "region_name"]])
    la = pd.concat(frames)
    la["time_period"] = la["time_period"].astype(int)
    la = la.sort_values("time_period")
    grouped = la.groupby("old_la_code")
    reg = pd.DataFrame(
        {
            "name": grouped["la_name"].last(),
            "region": grouped["region_name"].last(),
            "new_codes": grouped["new_la_code"].agg(lambda s: tuple(dict.fromkeys(s))),
            "names": grouped["la_name"].agg(lambda s: tuple(dict.fromkeys(s))),
            "first_year": grouped["time_period"].min(),
            "last_year": grouped["time_period"].max(),
        }
    )
    # Reported years in C1 decide the span (population runs one year behind).
    c1 = la[la["time_period"] >= 2013]
    reg["last_year"] = c1.groupby("old_la_code")["time_period"].max().reindex(reg.index).fillna(reg["last_year"])
    reg["last_year"] = reg["last_year"].astype(int)
    sn_path = Path(sn[0])
    sn = read_csv_checked(sn_path, ["old_la_code", "la_name", *[f"SN_{i}" for i in range(1, 11)]])
    neighbours: dict[str, tuple[str, ...]] = {}
    for line, row in sn.iterrows():
        code = row["old_la_code"].strip()
        codes = tuple(str(row[f"SN_{i}"]).strip() for i in range(1, 11) if str(row[f"SN_{i}"]).strip())
        bad = [c for c in (code, *codes) if not re.fullmatch(r"\d{3}", c)]
        if bad:
            raise DataSchemaError(f"{sn_path.name}: line {int(line) + 2}: {bad[0]!r} is not a three-digit LA code")
        neighbours[code] = codes
    return reg, neighbours


def _tables():
    official = paths.official_dir()

    def newest(table: str) -> tuple[str, str]:
        rel = manifest.release_as_of(official, table)
        return str(official / rel.file), rel.sha256

    return _build(tuple(newest(t) for t in NAME_TABLES), newest(NEIGHBOURS_TABLE))


def register() -> pd.DataFrame:
    """All councils: index old_la_code; name, region, new_codes, names, first_year, last_year, neighbours."""
    reg, neighbours = _tables()
    out = reg.copy()
    out["neighbours"] = [neighbours.get(code, ()) for code in out.index]
    return out


def latest_year() -> int:
    """The newest year (ending 31 March) any council reported in table C1."""
    return int(_tables()[0]["last_year"].max())


def council(code: str) -> Council:
    """The :class:`Council` with three-digit DfE code ``code`` (KeyError if none has it; see :func:`resolve`)."""
    reg, neighbours = _tables()
    row = reg.loc[code]
    return Council(
        code=code,
        name=row["name"],
        region=row["region"],
        new_codes=tuple(row["new_codes"]),
        first_year=int(row["first_year"]),
        last_year=int(row["last_year"]),
        neighbours=neighbours.get(code, ()),
    )


def resolve(query: str | int) -> Council:
    """A council from its three-digit code, its GSS code or its name (case and punctuation ignored).

    Where a name belongs to a council before and after a reorganisation (Dorset 835 and 838), the current
    one is returned; the code picks either. Unknown input raises :class:`UnknownCouncilError` with the
    closest names.
    """
    reg, _ = _tables()
    text = str(query).strip()
    if re.fullmatch(r"\d{1,3}(\.0)?", text):
        code = text.split(".")[0].zfill(3)
        if code in reg.index:
            return council(code)
        raise UnknownCouncilError(
            f"unknown council code {excerpt(text)}: no local authority has old_la_code {code}; "
            "run 'cscbook councils' for the list"
        )
    for code, new_codes in reg["new_codes"].items():
        if text.upper() in new_codes:
            return council(code)
    key = _normalise(text)
    matches = [code for code, names in reg["names"].items() if key and key in {_normalise(n) for n in names}]
    if matches:
        best = max(matches, key=lambda c: reg.at[c, "last_year"])
        return council(best)
    choices = {_normalise(n): n for names in reg["names"] for n in names}
    close = difflib.get_close_matches(key, list(choices), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(choices[c]) for c in close)}? " if close else ""
    raise UnknownCouncilError(
        f"unknown council {excerpt(text)}: {hint}give a council name or three-digit code; run 'cscbook councils' for the list"
    )


def reorganisations() -> pd.DataFrame:
    """The councils reorganised into others (``data/curated/la_reorganisations.csv``): predecessor_code,
    successor_code, effective_year and the file's other columns, as text."""
    path = paths.curated_dir() / REORG_FILE
    frame = read_csv_checked(path, ["predecessor_code", "successor_code", "effective_year"])
    return frame
