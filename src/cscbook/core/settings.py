"""The environment variables cscbook reads, read once into one :class:`Settings` by the entry that needs them (a
build's context, the command line) and passed on from there, never looked up again deep inside a build."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

#: the repository root to read data from and write the default cache to (default: the package's checkout)
ROOT_ENV = "CSCBOOK_ROOT"
#: where the shared results are kept when ``--shared-cache`` is not given (default: inside the output folder).
#: They are keyed by data version, code version and arguments, so one folder can serve several output folders,
#: CI runners or test runs; it never changes what an edition shows.
SHARED_CACHE_ENV = "CSCBOOK_SHARED_CACHE"
#: notebooks run in parallel when ``--jobs`` is not given (default: one per core); a machine already running
#: other work (the test suite's parallel workers, a shared CI runner) sets fewer.
JOBS_ENV = "CSCBOOK_JOBS"
#: read by the command line only: a test switches suppression off to prove the HTML scan can fail
DISCLOSURE_ENV = "CSCBOOK_DISCLOSURE"
#: an explicit Chromium-family browser for the committee paper (its executable's path)
BROWSER_ENV = "CSCBOOK_BROWSER"
#: show a traceback under the one-line message of a failed command
DEBUG_ENV = "CSCBOOK_DEBUG"


@dataclass(frozen=True)
class Settings:
    """What the environment says, as text (None where unset): the shared results folder, the number of parallel
    notebooks, the disclosure policy's name and whether to show tracebacks. (The browser is found by
    :func:`cscbook.report.browser.find_browser`, which reads ``CSCBOOK_BROWSER`` beside ``PATH`` and the other
    places a browser may be.)"""

    shared_cache: str | None = None
    jobs: str | None = None
    disclosure: str = "on"
    debug: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """The settings of ``environ`` (default: this process's environment), read once."""
        env = os.environ if environ is None else environ
        return cls(shared_cache=env.get(SHARED_CACHE_ENV) or None, jobs=env.get(JOBS_ENV) or None,
                   disclosure=env.get(DISCLOSURE_ENV, "on"), debug=bool(env.get(DEBUG_ENV)))
