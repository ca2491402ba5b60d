"""The manifest of official data: which file holds which table, and when each release was published.

``data/official/manifest.yml`` lists every official table with one or more *releases*, oldest first::

    tables:
      referrals:
        title: 'Children in need: referrals and re-referrals (table C1)'
        collection: children_in_need
        releases:
        - file: dfe_cin_c1_referrals_rereferrals_2013_2025.csv
          publisher: Department for Education
          title: Characteristics of children in need 2025 (Explore Education Statistics)
          published: 2025-10-30
          years: [2013, 2025]
          sha256: 3c1f...
          added: 2026-11-22

``published`` is the day the publisher released the file (``null`` where the publisher gives no day; such a
release counts as always known). ``years`` are the first and last years the file covers, in the table's own
years (year ending 31 March, 30 September snapshot, or mid-year). Old releases stay listed: an edition for a
past quarter reads the release that was current then. ``cscbook data add`` appends releases; nothing else
writes the file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from cscbook.core.errors import DataSchemaError
from cscbook.core.memo import memo

MANIFEST = "manifest.yml"
HEADER = (
    "# Which file in data/official holds which official table, one entry per release, oldest first.\n"
    "# Written by 'cscbook data add'; see data/official/PROVENANCE.md for where each file came from.\n"
    "# published: the publisher's release date (null where the publisher gives no day).\n"
    "# years: first and last year covered (Ofsted: years of publication). sha256: checksum of the file as installed.\n"
)


@dataclass(frozen=True)
class Release:
    """One published file of one table."""

    table: str
    file: str
    publisher: str
    title: str
    published: date | None
    years: tuple[int, int] | None
    sha256: str
    added: date
    url: str = ""
    note: str = ""

    def known_by(self, day: date) -> bool:
        """Whether the release had been published by ``day`` (undated releases always count as known)."""
        return self.published is None or self.published <= day


@dataclass(frozen=True)
class TableEntry:
    """One table of ``data/official/manifest.yml``: its short name, title, release-calendar collection and its
    releases, oldest first."""

    name: str
    title: str
    collection: str
    releases: tuple[Release, ...]

    @property
    def newest(self) -> Release:
        """The newest release of the table (the last listed)."""
        return self.releases[-1]


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as a hex string (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _date(value, where: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataSchemaError(f"{MANIFEST}: {where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _parse(text: str) -> dict[str, TableEntry]:
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise DataSchemaError(f"{MANIFEST}: not valid YAML ({str(exc).splitlines()[0]}); "
                              "restore it with git checkout -- data/official/manifest.yml") from None
    tables = raw.get("tables") if isinstance(raw, dict) else None
    if not isinstance(tables, dict):
        raise DataSchemaError(f"{MANIFEST}: no 'tables' mapping; "
                              f"restore it with git checkout -- data/official/{MANIFEST}")
    out: dict[str, TableEntry] = {}
    for name, entry in tables.items():
        rels = []
        for i, r in enumerate(entry.get("releases") or []):
            where = f"table {name!r} release {i + 1}"
            missing = [k for k in ("file", "publisher", "title", "sha256", "added") if not r.get(k)]
            if missing:
                raise DataSchemaError(f"{MANIFEST}: {where}: field {missing[0]!r} is missing")
            years = r.get("years")
            rels.append(Release(
                table=name, file=str(r["file"]), publisher=str(r["publisher"]), title=str(r["title"]),
                published=_date(r.get("published"), where), years=(int(years[0]), int(years[1])) if years else None,
                sha256=str(r["sha256"]), added=_date(r["added"], where), url=str(r.get("url") or ""),
                note=str(r.get("note") or ""),
            ))
        if not rels:
            raise DataSchemaError(f"{MANIFEST}: table {name!r} has no releases")
        out[name] = TableEntry(name, str(entry.get("title", name)), str(entry.get("collection") or ""), tuple(rels))
    return out


@memo(maxsize=8)
def _read_cached(path: str, mtime_ns: int, size: int) -> dict[str, TableEntry]:
    return _parse(Path(path).read_text(encoding="utf-8"))


def read(official: Path) -> dict[str, TableEntry]:
    """Every table of the manifest in ``official``, by name (cached until the file changes; a new dict each call)."""
    path = Path(official) / MANIFEST
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataSchemaError(f"{path}: file not found; "
                              f"restore it with git checkout -- data/official/{MANIFEST}") from None
    return dict(_read_cached(str(path), st.st_mtime_ns, st.st_size))  # a copy: the entries are frozen


def entry(official: Path, table: str) -> TableEntry:
    """The manifest's entry for ``table`` in the folder ``official``; an unknown table raises KeyError listing
    the known ones."""
    tables = read(official)
    if table not in tables:
        raise KeyError(f"unknown table {table!r}; known: {', '.join(sorted(tables))}")
    return tables[table]


def release_as_of(official: Path, table: str, day: date | None = None) -> Release:
    """The newest release of ``table`` published by ``day`` (the newest of all if ``day`` is None).

    Before the first installed release, the first one stands in: callers limit its years to those the
    release calendar says had been published (see :func:`cscbook.data.releases.latest_year_published`).
    """
    rels = entry(official, table).releases
    if day is None:
        return rels[-1]
    known = [r for r in rels if r.known_by(day)]
    return known[-1] if known else rels[0]


def current_path(official: Path, table: str) -> Path:
    """Path of the newest release of ``table``."""
    return Path(official) / release_as_of(official, table).file


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors, year ranges on one line."""

    def ignore_aliases(self, data):
        return True


class _Years(list):
    pass


_Dumper.add_representer(_Years, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def dump(tables: dict[str, TableEntry]) -> str:
    """The manifest text for ``tables`` (the inverse of :func:`read`)."""
    body = {}
    for name, t in tables.items():
        rels = []
        for r in t.releases:
            item = {"file": r.file, "publisher": r.publisher, "title": r.title}
            if r.url:
                item["url"] = r.url
            item["published"] = r.published
            item["years"] = _Years(r.years) if r.years else None
            item["sha256"] = r.sha256
            item["added"] = r.added
            if r.note:
                item["note"] = r.note
            rels.append(item)
        body[name] = {"title": t.title, "collection": t.collection or None, "releases": rels}
    return HEADER + yaml.dump({"tables": body}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
