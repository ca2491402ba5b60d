"""Edition parameters: which council and quarter a book is built for, validated before anything runs.

An :class:`Edition` is immutable and resolved once: the council from its name or code, the quarter, the
monthly input (the content-keyed aggregate CSV in the cache, never the user's own file), the disclosure
policy and the folder of shared cached results. Chapters, headlines and the build receive it and never
resolve a council again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from cscbook.core import paths
from cscbook.core.cache import open_cache
from cscbook.core.disclosure import DEFAULT_POLICY, DisclosurePolicy
from cscbook.core.errors import CSCBookError, UnknownCouncilError
from cscbook.core.inputs import excerpt
from cscbook.core.quarters import Quarter
from cscbook.data.register import Council, resolve
from cscbook.data.releases import latest_quarter as newest_release_quarter
from cscbook.data.releases import latest_year_published, publication_quarter, table_collection

DEFAULT_LA = "825"
LA_EXAMPLE = '{p} 938 or {p} "West Sussex"'
QUARTER_EXAMPLE = '{p} "2019Q2"'


def first_quarter() -> Quarter:
    """The first quarter with any referral data published (children in need year 2013)."""
    return publication_quarter(table_collection("referrals"), 2013)


def latest_quarter() -> Quarter:
    """The quarter of the newest official release in data/official (data/official/manifest.yml)."""
    return newest_release_quarter()


@dataclass(frozen=True)
class Edition:
    """One council at one quarter, with the inputs and policy that decide what its pages show.

    ``monthly`` is the content-keyed aggregate CSV in the cache (its file name is the content key), or None
    for the illustrative example; ``cache_dir`` is the folder of shared cached results (see
    :mod:`cscbook.core.cache`), None for the default.
    """

    council: Council
    quarter: Quarter
    monthly: Path | None = None
    policy: DisclosurePolicy = DEFAULT_POLICY
    cache_dir: Path | None = field(default=None, compare=False)
    #: a checked what-if scenarios file (content-keyed copy in the cache), None for the shipped default set
    scenarios: Path | None = None
    #: the folder of built editions this edition is written to (its earlier editions' forecast ledgers are read
    #: from there); None for the repository's ``editions/``. Given explicitly: the shared cache may be anywhere.
    editions: Path | None = field(default=None, compare=False)

    @property
    def disclosure(self) -> DisclosurePolicy:
        """The edition's disclosure policy (:class:`~cscbook.core.disclosure.DisclosurePolicy`): whether counts of 1
        to 5 are suppressed."""
        return self.policy

    @property
    def cache(self):
        """The shared results cache (:class:`cscbook.core.cache.SharedCache`) of this edition."""
        return open_cache(self.cache_dir)

    @property
    def editions_dir(self) -> Path:
        """The folder of built editions this edition belongs to (``editions``; the repository's ``editions/`` by
        default), wherever its shared cache is."""
        if self.editions:
            return Path(self.editions)

        return paths.repo_root() / "editions"

    @property
    def slug(self) -> str:
        """The edition's folder name: ``CODE-council-name-YYYYQn``, with ``-unsuppressed`` when built without
        disclosure control."""
        name = "".join(ch if ch.isalnum() else "-" for ch in self.council.name.lower()).strip("-")
        while "--" in name:
            name = name.replace("--", "-")
        # an edition built without disclosure control never takes the published edition's folder name
        unsuppressed = "" if self.policy.enabled else "-unsuppressed"
        return f"{self.council.code}-{name}-{self.quarter}{unsuppressed}"

    @property
    def monthly_key(self) -> str:
        """The content key of the monthly input ('' for the illustrative example)."""
        return self.monthly.stem if self.monthly else ""

    def data_year(self, table: str) -> int | None:
        """The newest year of ``table`` published by the end of the edition's quarter (year ending 31 March for
        children in need and looked after), or None if none was."""
        return latest_year_published(table, self.quarter)

    def parameters(self) -> dict:
        """The notebook parameters of this edition (what papermill injects)."""
        return {
            "la": self.council.code,
            "quarter": str(self.quarter),
            "monthly": str(self.monthly) if self.monthly else "",
            "disclosure": self.policy.key,
            "cache": str(self.cache_dir) if self.cache_dir else "",
            "scenarios": str(self.scenarios) if self.scenarios else "",
            "editions": str(self.editions) if self.editions else "",
        }

    def key(self) -> dict:
        """Everything about the edition that changes its pages (the cache folder does not)."""
        return {"la": self.council.code, "quarter": str(self.quarter), "monthly": self.monthly_key,
                "disclosure": self.policy.key, "scenarios": self.scenarios.stem if self.scenarios else ""}


def _label(parameter: str) -> str:
    """How a message names a parameter: ``--la`` on the command line, ``parameter 'la' =`` in a notebook."""
    return parameter if parameter.startswith("--") else f"parameter {parameter!r} ="


def _example(parameter: str, template: str) -> str:
    """An example value as the user would write it: ``--la 938`` on the command line, ``la = 938`` in a notebook."""
    return template.format(p=parameter if parameter.startswith("--") else f"{parameter} =")


def parse_council(value, parameter: str = "la") -> Council:
    """A council from a name, a code as text or a code as an integer (papermill's ``-p la 938``)."""
    example = _example(parameter, LA_EXAMPLE)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CSCBookError(f"{_label(parameter)} {excerpt(value)}: give a council name or three-digit DfE code, "
                           f"e.g. {example}")
    if isinstance(value, int):
        if not 0 < value < 1000:
            raise CSCBookError(f"{_label(parameter)} {value!r}: a DfE council code has three digits, "
                               f"e.g. {example}")
        value = f"{value:03d}"
    if not value.strip():
        raise CSCBookError(f"{_label(parameter)} '' is empty: give a council name or three-digit DfE code, "
                           f"e.g. {example}")
    try:
        return resolve(value)
    except UnknownCouncilError as exc:
        name = parameter if parameter.startswith("--") else f"parameter {parameter!r}"
        raise UnknownCouncilError(f"{name}: {exc} (e.g. {example})") from None


def parse_quarter(value, parameter: str = "quarter") -> Quarter | None:
    """A quarter from ``2019Q2`` or ``2019q2``; None for an empty value (the latest quarter)."""
    example = _example(parameter, QUARTER_EXAMPLE)
    if isinstance(value, bool) or not isinstance(value, (str, Quarter)) and value is not None:
        raise CSCBookError(f"{_label(parameter)} {excerpt(value)}: give a calendar quarter as text YYYYQn, "
                           f"e.g. {example}")
    if isinstance(value, Quarter):
        return value
    if value is None or not value.strip():
        return None
    if not re.fullmatch(r"\s*\d{4}[Qq][1-4]\s*", value):
        raise CSCBookError(f"{_label(parameter)} {excerpt(value)} is not a calendar quarter: write YYYYQn with n "
                           f"from 1 to 4, e.g. {example}")
    return Quarter.parse(value, parameter)


def check_span(council: Council, q: Quarter, la_name: str = "--la", quarter_name: str = "--quarter") -> Quarter:
    """``q`` if an edition for ``council`` can be built for it: refused (one :class:`CSCBookError` naming
    ``la_name`` or ``quarter_name``) before the first data (2013), after the newest release in data/official,
    or outside the years the council reported."""
    last = latest_quarter()
    first = first_quarter()
    if q < first:
        raise CSCBookError(
            f"{quarter_name} {q}: no data had been published by then; the first edition is {first} "
            f"(children in need figures for the year to March 2013)"
        )
    if q > last:
        raise CSCBookError(f"{quarter_name} {q} is after the latest data in data/official (latest edition {last})")
    if q.year < council.first_year or (council.last_year < q.year - 1):
        raise CSCBookError(
            f"{la_name} {council.name} ({council.code}) reported {council.first_year}-{council.last_year} only; "
            f"choose its successor council or an earlier quarter"
        )
    return q


LEDGER_FILE = "forecast_ledger.csv"
