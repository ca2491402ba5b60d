"""The build context: what one run of the book needs, decided once from the parameters.

A :class:`BuildContext` holds the output folder, the cache folders, the disclosure policy, the data and code
versions (hashed once) and the number of parallel jobs. It makes the :class:`~cscbook.data.edition.Edition` of
each council, with its monthly input materialised once as a content-keyed aggregate CSV in the cache: the
chapters and the site see that aggregate (named by its content hash), never the user's own file or path.
Nothing here is mutable or global; the build, the site and the chapters receive what they need.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cscbook.core import atomic, paths
from cscbook.core.cache import code_hash, data_hash, default_cache_root, shared_dir
from cscbook.core.disclosure import DEFAULT_POLICY, DisclosurePolicy
from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import check_months, check_writable_folder, input_file
from cscbook.core.settings import DISCLOSURE_ENV, JOBS_ENV, Settings
from cscbook.data.cincensus import EXCLUSIONS_SUFFIX, read_returns
from cscbook.data.edition import DEFAULT_LA, Edition, check_span, latest_quarter, parse_council, parse_quarter
from cscbook.data.monthly import read_extract
from cscbook.models import scenariofile
from cscbook.report import browser as browsers
from cscbook.report.papercover import DEFAULT_COMMITTEE, meeting_date_text
from cscbook.report.site import OUTPUT_MARKER, is_our_site


def policy_from_env(environ=None) -> DisclosurePolicy:
    """The disclosure policy named by ``CSCBOOK_DISCLOSURE`` (on unless it says off)."""
    return DisclosurePolicy.parse(Settings.from_env(environ).disclosure, DISCLOSURE_ENV)


#: what ``--paper`` accepts: print the committee paper where a browser is found (the default), always, or never
PAPER_MODES = ("auto", "require", "skip")
#: why an edition has no paper when no browser was found (its "About" page says so)
NO_BROWSER = "no Chromium-family browser was found on the machine that built it"


def paper_mode(paper: bool | str) -> tuple[bool, str]:
    """Whether the committee paper is printed, and if not why (words for the edition's "About" page), for
    ``paper``: True or ``require`` (a missing browser is an error), False or ``skip``, or ``auto``."""
    mode = {True: "require", False: "skip"}.get(paper, paper) if isinstance(paper, bool) else paper
    if mode not in PAPER_MODES:
        raise CSCBookError(f"--paper {paper!r}: choose one of {', '.join(PAPER_MODES)}")
    if mode == "skip":
        return False, "built with `--no-paper`"
    if browsers.find_browser():  # looked up when called: a test stands in a machine without a browser
        return True, ""
    if mode == "require":
        raise browsers.BrowserNotFound(f"--paper require: the committee paper needs a Chromium-family browser: "
                              f"{browsers.HOW_TO_GET_A_BROWSER}")
    return False, NO_BROWSER


@dataclass(frozen=True)
class BuildContext:
    """Everything a build run needs, fixed when it starts: the output folder, the disclosure policy, the data and
    code versions (content hashes), the number of parallel jobs, whether to rebuild unchanged editions, the
    shared-results folder (None: the output's own) and the committee paper's settings. Made by :meth:`create`."""

    output: Path
    policy: DisclosurePolicy
    data_version: str
    code_version: str
    jobs: int
    force: bool = False
    shared_root: Path | None = None
    #: print each edition's committee paper (PDF); ``--no-paper`` skips it (drafts, runs that publish pages only)
    paper: bool = True
    #: why the paper is not printed, in words for the edition's "About" page (when ``paper`` is False)
    paper_skipped: str = "built with `--no-paper`"
    #: the committee paper's cover: the committee it goes to and the meeting date (``--committee``,
    #: ``--meeting-date``; defaults in :mod:`cscbook.report.paper`)
    committee: str | None = None
    meeting_date: str | None = None

    @classmethod
    def create(cls, output: str | Path | None = None, policy: DisclosurePolicy | None = None,
               jobs: int | None = None, force: bool = False,
               shared_cache: str | Path | None = None, paper: bool | str = "auto",
               committee: str | None = None, meeting_date: str | None = None,
               settings: Settings | None = None) -> "BuildContext":
        """``shared_cache``: the folder of shared results (default: ``CSCBOOK_SHARED_CACHE`` if set, else the
        output's own ``editions/.cache``). ``paper``: a mode of :data:`PAPER_MODES` (``auto``, the default, prints
        the committee paper where a browser is found and skips it otherwise; ``require``; ``skip``), or True (as
        ``require``) or False (as ``skip``). ``committee`` and ``meeting_date`` (YYYY-MM-DD): the paper's cover.
        ``settings``: the environment's settings (read here once when not given)."""
        settings = settings if settings is not None else Settings.from_env()
        meeting_date = meeting_date_text(meeting_date)  # a date the cover cannot print is refused before building
        committee = " ".join(str(committee).split()) if committee and str(committee).strip() else DEFAULT_COMMITTEE

        out = check_output(output, force) if output is not None else paths.repo_root()
        if jobs is None and settings.jobs:
            value = settings.jobs
            if not value.isdigit() or int(value) < 1:
                raise CSCBookError(f"{JOBS_ENV}={value!r}: give a whole number of 1 or more, e.g. {JOBS_ENV}=2")
            jobs = int(value)
        if jobs is not None and jobs < 1:
            raise CSCBookError(f"--jobs {jobs}: give 1 or more")
        shared_cache = shared_cache or settings.shared_cache
        if shared_cache is not None:
            shared_root = Path(shared_cache).resolve()
            if shared_root.exists() and not shared_root.is_dir():
                raise CSCBookError(f"--shared-cache {shared_cache}: exists and is not a folder")
        else:
            shared_root = None
        printing, skipped = paper_mode(paper)
        return cls(out, policy or DEFAULT_POLICY, data_hash(), code_hash(), jobs or (os.cpu_count() or 1), force,
                   shared_root, printing, skipped, committee, meeting_date)

    @property
    def editions_dir(self) -> Path:
        """The folder of built editions, one sub-folder per edition (``<output>/editions``)."""
        return self.output / "editions"

    @property
    def site_dir(self) -> Path:
        """The published site's folder (``<output>/_build/html``)."""
        return self.output / "_build" / "html"

    @property
    def cache_root(self) -> Path:
        """The output's own cache folder (``<output>/editions/.cache``): executed chapters, and the shared results
        unless a shared cache is given."""
        return self.editions_dir / ".cache"

    @property
    def chapters_cache(self) -> Path:
        """Executed chapter notebooks, one file per chapter key."""
        return self.cache_root / "chapters"

    @property
    def shared_dir(self) -> Path:
        """The folder of shared results for this data and code version, under the shared cache if given, else
        under :attr:`cache_root`."""
        return shared_dir(self.shared_root or self.cache_root, self.data_version, self.code_version)

    def edition(self, la: str | int | None, quarter: str | None = None, monthly: str | Path | None = None,
                cin_census: list[str] | None = None, scenarios: str | Path | None = None) -> Edition:
        """The validated edition of a council and quarter in this context (monthly input materialised)."""
        return make_edition(la, quarter, monthly, policy=self.policy, cache_dir=self.shared_dir,
                            cin_census=cin_census, cache_root=self.cache_root, scenarios=scenarios,
                            editions=self.editions_dir)


def is_our_output(out: Path) -> bool:
    """Whether ``out`` is empty, carries the build's marker, or is an earlier cscbook output (it holds an
    ``editions/`` folder)."""
    entries = {p.name for p in out.iterdir()}
    return not entries or OUTPUT_MARKER in entries or (out / "editions").is_dir()


def check_output(output: str | Path, force: bool = False) -> Path:
    """The resolved ``--output`` folder, or one line saying why it is refused: ``/``, the home folder, the
    repository (the default: leave out --output), a path under a file, a folder that cannot be written, a
    non-empty folder that is not a cscbook output (unless ``force``), or a ``_build/html`` cscbook did not make.
    Nothing is written here."""
    out = Path(output).expanduser().resolve()
    label = f"--output {output}"
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known
        home = None
    if out == Path(out.anchor) or out == home:
        raise CSCBookError(f"{label}: refused: a build writes editions/ and _build/ there; give a folder of its own, "
                           "e.g. --output build-out")
    if out == paths.repo_root().resolve() and output is not None:
        raise CSCBookError(f"{label}: the repository is where a build writes by default; leave out --output")
    check_writable_folder(out, label, "a folder for the output", "a folder you can write to")
    if out.exists():
        try:
            ours = is_our_output(out)
        except OSError as exc:
            raise CSCBookError(f"{label}: cannot be listed ({exc.strerror}); give a folder of its own") from None
        if not ours and not force:
            raise CSCBookError(f"{label}: the folder holds files a build did not make; give an empty or new folder "
                               "(or add --force to write editions/ and _build/ beside them)")
        if not is_our_site(out / "_build" / "html"):
            raise CSCBookError(f"{label}: _build/html holds files a build did not make and publishing would replace "
                               "them; move them or give another folder")
    return out


def aggregate_csv(frame) -> str:
    """Monthly aggregates as the extract contract's CSV: month YYYY-MM, whole counts without decimals."""
    import pandas as pd

    out = pd.DataFrame(index=[str(m) for m in frame.index])
    out.index.name = "month"
    for col in frame.columns:
        values = frame[col]
        if values.dropna().map(lambda v: float(v).is_integer()).all():
            out[col] = values.astype("Int64")
        else:
            out[col] = values
    return out.to_csv(lineterminator="\n")


def materialise_monthly(la: str, monthly: str | Path | None = None, cin_census: list[str] | None = None,
                        cache_root: Path | None = None, quarter=None) -> Path:
    """Check the monthly input and return the content-keyed aggregate CSV that stands for it.

    ``monthly``: a CSV extract; ``cin_census``: a council's CIN census return files (read by
    :func:`cscbook.data.cincensus.read_returns`, which keeps child-level data inside the reader). The aggregate
    lives in ``<cache_root>/monthly/<content key>.csv``; only its content decides its name.
    Without ``cache_root`` a CSV extract is checked and returned as given (a notebook run by hand). With
    ``quarter`` its months are checked against the edition (:func:`cscbook.core.inputs.check_months`) first.
    """
    if monthly:
        path = input_file(monthly, f"--monthly {monthly}", "a CSV extract")
        frame = read_extract(path)  # every problem in the file stops here, before any chapter runs
        if quarter is not None:
            check_months(frame, quarter, "--monthly")
        if cache_root is None:
            return path.resolve()
    else:
        result = read_returns([str(f) for f in cin_census], la)
        frame = result.monthly
        if quarter is not None:
            check_months(frame, quarter, "--cin-census")
        cache_root = cache_root or default_cache_root()
        excluded = {reason: int(n) for reason, n in result.excluded.items() if n}
        if excluded:  # the episodes left out, by reason (counts only), beside the aggregate they explain
            csv = aggregate_csv(frame).encode()
            side = json.dumps({"excluded": excluded}, sort_keys=True).encode()
            dest = content_keyed(cache_root / "monthly", csv, ".csv", key_data=csv + side,
                                 beside={EXCLUSIONS_SUFFIX: side})
            read_extract(dest)
            return dest
    dest = content_keyed(cache_root / "monthly", aggregate_csv(frame).encode(), ".csv")
    read_extract(dest)  # the aggregate itself meets the extract contract
    return dest


def materialise_scenarios(scenarios: str | Path, quarter, la: str, cache_root: Path | None = None,
                          parameter: str = "--scenarios") -> Path:
    """Check a what-if scenarios file for this council and quarter; return its content-keyed copy in the cache
    (the file as given when there is no cache, e.g. a notebook run by hand)."""
    path = Path(scenarios)
    if not path.is_file():
        raise CSCBookError(f"{parameter} {scenarios}: file not found; give the path of a YAML scenarios file")
    scenariofile.check_file(path, quarter, parameter=parameter)  # every problem in the file stops here
    if cache_root is None:
        return path.resolve()
    return content_keyed(cache_root / "scenarios", path.read_bytes(), ".yml")


def content_keyed(folder: Path, data: bytes, suffix: str, key_data: bytes | None = None,
                  beside: dict[str, bytes] | None = None) -> Path:
    """``data`` written once, atomically, to ``folder/<content key><suffix>``: only its content decides its name
    (``key_data`` when given: the content of the file and of the files ``beside`` it). ``beside``: further files
    ``<content key><their suffix>`` written first, so that whoever finds the main file finds them too."""
    key = hashlib.sha256(data if key_data is None else key_data).hexdigest()[:24]
    dest = folder / f"{key}{suffix}"
    for other_suffix, other in (beside or {}).items():
        _write_once(folder / f"{key}{other_suffix}", other)
    _write_once(dest, data)
    return dest


def _write_once(dest: Path, data: bytes) -> None:
    if not dest.exists():
        atomic.write_bytes(dest, data)


def make_edition(la: str | int | None, quarter: str | None, monthly: str | Path | None = None, *,
                 policy: DisclosurePolicy | None = None, cache_dir: Path | None = None,
                 cin_census: list[str] | None = None, cache_root: Path | None = None,
                 scenarios: str | Path | None = None, editions: Path | None = None) -> Edition:
    """Validate parameters (council, quarter range, monthly input) and return the edition.

    A monthly extract (``monthly``) or CIN census returns (``cin_census``) are read and checked here,
    before any chapter runs. With ``cache_root`` the monthly input is materialised as a content-keyed
    aggregate CSV under it and the edition refers to that copy only; without it, the checked file itself.
    ``editions``: the folder of built editions it is written to (default: the repository's ``editions/``).
    """
    council = parse_council(la if la is not None else DEFAULT_LA, "--la")
    q = parse_quarter(quarter, "--quarter") or latest_quarter()
    check_span(council, q)
    path = None
    if monthly and cin_census:
        raise CSCBookError("--monthly and --cin-census both given: give one monthly input")
    if monthly or cin_census:
        path = materialise_monthly(council.code, monthly=monthly, cin_census=cin_census, cache_root=cache_root,
                                   quarter=q)
    scenario_file = None
    if scenarios:
        scenario_file = materialise_scenarios(scenarios, q, council.code, cache_root=cache_root)
    return Edition(council, q, path, policy or DEFAULT_POLICY, cache_dir, scenario_file, editions)
