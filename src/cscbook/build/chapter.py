"""A chapter's first cell: its parameters checked and resolved into the :class:`~cscbook.data.edition.Edition`
it shows (``ed = setup(globals())``), before the chapter shows anything."""

from __future__ import annotations

import os
import types
from pathlib import Path

from cscbook.build.context import materialise_monthly, materialise_scenarios
from cscbook.core import paths
from cscbook.core.disclosure import DisclosurePolicy
from cscbook.core.errors import CSCBookError
from cscbook.core.settings import ROOT_ENV
from cscbook.data.edition import Edition, check_span, latest_quarter, parse_council, parse_quarter
from cscbook.report import notebook as nb

#: The chapters' parameters and their defaults. ``la``: council name or three-digit DfE code (text or integer);
#: ``quarter``: calendar quarter YYYYQn ('' = the latest); ``monthly``: a monthly extract CSV ('' = the
#: illustrative example); ``disclosure``: 'on' ('off' only in the test proving the HTML scan can fail);
#: ``cache``: the shared results folder ('' = the repository's default); ``scenarios``: a what-if scenarios
#: YAML file ('' = the shipped default set); ``editions``: the folder of built editions whose forecast ledgers
#: the forecast chapter scores ('' = the repository's ``editions/``).
PARAMETERS = {"la": "825", "quarter": "", "monthly": "", "disclosure": "on", "cache": "", "scenarios": "",
              "editions": ""}
_IPYTHON = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def setup(namespace: dict) -> Edition:
    """Check the parameters (papermill only warns about unknown names) and return the edition.

    Each bad value stops the chapter with one line naming the parameter, the value and an example,
    before the chapter shows anything.
    """
    check_not_a_copy()
    names = {k for k, v in namespace.items() if not k.startswith("_") and k not in _IPYTHON
             and not isinstance(v, types.ModuleType) and not callable(v)}
    unknown = sorted(names - set(PARAMETERS))
    if unknown:
        raise CSCBookError(f"unknown parameter {unknown[0]!r} = {namespace[unknown[0]]!r}: chapters take "
                           f"{', '.join(PARAMETERS)}, e.g. papermill -p la 938 -p quarter 2019Q2")
    values = {name: namespace.get(name, default) for name, default in PARAMETERS.items()}
    council = parse_council(values["la"], "la")
    quarter = parse_quarter(values["quarter"], "quarter") or latest_quarter()
    check_span(council, quarter, "parameter 'la'", "parameter 'quarter'")
    for name in ("monthly", "disclosure", "cache", "scenarios", "editions"):
        if not isinstance(values[name], str):
            raise CSCBookError(f"parameter {name!r} = {values[name]!r} must be text, e.g. {name} = "
                               f"{ {'monthly': 'our_extract.csv', 'disclosure': 'on', 'cache': '', 'scenarios': 'scenarios.yml', 'editions': 'out/editions'}[name]!r}")
    policy = DisclosurePolicy.parse(values["disclosure"], "disclosure")
    monthly = materialise_monthly(council.code, monthly=values["monthly"]) if values["monthly"] else None
    scenarios = None
    if values["scenarios"]:
        scenarios = materialise_scenarios(values["scenarios"], quarter, council.code, parameter="parameter 'scenarios'")
    nb.style()
    ed = Edition(council, quarter, monthly, policy, Path(values["cache"]) if values["cache"] else None, scenarios,
                 Path(values["editions"]) if values["editions"] else None)
    nb.use_edition(ed)
    return ed


def check_not_a_copy(cwd=None) -> None:
    """Stop with one line when the chapter is run inside a copy of the project whose environment still runs the
    package (and so reads the data and writes the cache) of the folder it was copied from."""
    if os.environ.get(ROOT_ENV):
        return
    here = Path(cwd or Path.cwd()).resolve()
    project = next((p for p in (here, *here.parents) if (p / "src" / "cscbook" / "__init__.py").is_file()), None)
    root = paths.repo_root().resolve()
    if project is not None and project != root:
        raise CSCBookError(f"this chapter runs the cscbook package of {root}, not of the copy {project} it was "
                           f"started in: in {project} run `make setup` with a fresh .venv (or `.venv/bin/python -m pip "
                           f"install -e .`), then run it again")


