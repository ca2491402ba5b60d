"""The ``cscbook`` command line.

Every user error ends with one line on standard error naming the problem and how to fix it, and exit
status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.output import FORMATS, render
from cscbook.core.settings import Settings


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other user error
        raise CSCBookError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _cmd_indicators(args) -> str:
    from cscbook.models.indicators import CORE_COLUMNS, indicators_for, rounding

    frame = indicators_for(args.la, CORE_COLUMNS)
    frame = frame.drop(columns=["old_la_code", "la_name"])
    return render(frame, args.format, {c: rounding(c) for c in frame.columns})


def _cmd_councils(args) -> str:
    from cscbook.data.register import register

    reg = register().reset_index()
    reg["neighbours"] = reg["neighbours"].map(" ".join)
    reg["new_codes"] = reg["new_codes"].map(" ".join)
    frame = reg[["old_la_code", "name", "region", "new_codes", "first_year", "last_year", "neighbours"]]
    return render(frame, args.format)


def _parse_shard(text: str) -> tuple[int, int]:
    import re

    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise CSCBookError(f"--shard {text!r}: write K/N with 1 <= K <= N, e.g. --shard 2/4 (the second of four slices)")
    return int(m.group(1)), int(m.group(2))


def shard(items: list, k: int, n: int) -> list:
    """The K-th of N deterministic slices of ``items`` (every N-th item, starting at the K-th)."""
    return items[k - 1::n]


def _batch_councils(args) -> list[str | None]:
    """The councils a build names: --la (one or several), --all or --region; default Buckinghamshire."""
    from cscbook.data.edition import check_span, latest_quarter, parse_quarter
    from cscbook.data.register import council, register

    if args.all or args.region:
        q = parse_quarter(args.quarter, "--quarter") or latest_quarter()
        reg = register()
        if args.region:
            regions = sorted(set(reg["region"]))
            match = [r for r in regions if r.lower() == args.region.strip().lower()]
            if not match:
                raise CSCBookError(f"--region {args.region!r}: unknown region; choose one of {', '.join(regions)}")
            reg = reg[reg["region"] == match[0]]
        codes = []
        for code in sorted(reg.index):
            try:
                check_span(council(code), q)
            except CSCBookError:
                continue  # not a council at that quarter (merged or not yet formed)
            codes.append(code)
        return codes
    return list(args.la) if args.la else [None]


def _cmd_build(args) -> str:
    from cscbook.build.context import NO_BROWSER, BuildContext, policy_from_env
    from cscbook.build.planning import UNCHANGED, all_unchanged

    if sum(bool(x) for x in (args.la, args.all, args.region, args.editions)) > 1:
        raise CSCBookError("give one of --la, --all, --region or --editions")
    if (args.monthly or args.cin_census) and (args.all or args.region or args.editions or len(args.la or []) > 1):
        raise CSCBookError("--monthly and --cin-census belong to one council: use them with a single --la "
                           "(or give each edition its own in --editions)")
    if args.no_paper and args.paper not in (None, "skip"):
        raise CSCBookError(f"--no-paper and --paper {args.paper}: give one of them")
    if args.cin_census and not args.editions:  # problems in the returns, before anything is built (--strict: any)
        from cscbook.data.cincensus import exclusion_lines, read_returns
        from cscbook.data.edition import DEFAULT_LA
        from cscbook.data.register import resolve

        code = resolve(args.la[0] if args.la else DEFAULT_LA).code
        notes = exclusion_lines(read_returns(args.cin_census, code, strict=args.strict))
        for line in [] if args.quiet else notes:
            print(line, file=sys.stderr)
    ctx = BuildContext.create(args.output, policy_from_env(), args.jobs, args.force, args.shared_cache,
                              paper="skip" if args.no_paper else (args.paper or "auto"),
                              committee=args.committee, meeting_date=args.meeting_date)
    if args.editions:
        from cscbook.build.editions_file import read_editions

        specs = read_editions(args.editions)
        wanted = [(s.council, s.quarter, s.monthly, list(s.cin_census) or None, s.scenarios) for s in specs]
    else:
        wanted = [(la, args.quarter, args.monthly, args.cin_census, None) for la in _batch_councils(args)]
    if args.shard:
        k, n = _parse_shard(args.shard)
        wanted = shard(wanted, k, n)
    editions, problems = [], []
    for la, quarter, monthly, cin_census, scenarios in wanted:  # every edition checked before anything runs
        try:
            editions.append(ctx.edition(la, quarter, monthly, cin_census, scenarios or args.scenarios))
        except CSCBookError as exc:
            problems.append(str(exc) if len(wanted) == 1 else f"{la}: {exc}")
    if problems:
        raise CSCBookError("\n".join(problems))
    if not editions:
        return "no editions to build in this shard"
    from tqdm import tqdm

    # messages go through tqdm, so that they print above the progress bars on a terminal
    log = (lambda m: tqdm.write(m, file=sys.stderr)) if not args.quiet else (lambda m: None)
    if not ctx.paper and ctx.paper_skipped == NO_BROWSER:
        from cscbook.report.browser import HOW_TO_GET_A_BROWSER

        log(f"committee paper skipped: no Chromium-family browser found; to print it, {HOW_TO_GET_A_BROWSER} "
            "(or use --paper require to make it compulsory)")
    for ed in editions[:3]:
        log(f"building {ed.council.name} ({ed.council.code}) {ed.quarter} [{ed.quarter.financial_quarter}]")
    for ed in editions:
        if ed.monthly is not None:
            log(f"reconciliation of the monthly input with DfE's published referrals (table C1), {ed.slug}:")
            for line in _reconciliation_lines(ed):
                log(line)
    if len(editions) > 3:
        log(f"... and {len(editions) - 3} more editions")
    folders = all_unchanged(ctx, editions)  # nothing to build: the models, kernels and book workers never load
    failed = []
    if folders is not None:
        for dest in folders:
            log(UNCHANGED.format(slug=dest.name))
    else:
        from cscbook.build.batch import build_many

        result = build_many(ctx, editions, log)
        folders, failed = result.folders, result.failed
    lines = []
    for dest in folders:
        meta = json.loads((dest / "edition.json").read_text())
        lines.append(f"edition written to {dest}\ncontent hash {meta['content_hash']}")
    lines.append(f"site index at {ctx.site_dir / 'index.html'}")
    if failed:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        named = "; ".join(f"{ed.slug} ({reason})" for ed, reason in failed)
        raise CSCBookError(f"{len(failed)} of {len(editions)} editions failed: {named}")
    return "\n".join(lines)


def _cmd_browser(args) -> str:
    from cscbook.report.browser import HOW_TO_GET_A_BROWSER, find_browser, install_browser

    found = install_browser() if args.install else find_browser()
    if found:
        return f"the committee paper is printed with {found}"
    message = f"no Chromium-family browser found: the book is built without its committee paper; to print it, {HOW_TO_GET_A_BROWSER}"
    if args.install:
        return message  # `make setup` goes on: the book builds without the paper
    raise CSCBookError(message)


def _cmd_extract(args) -> str:
    from cscbook.data.cinextract import extract_command

    check_output_file(args.output, "--output")
    return extract_command(args.cin_census, args.la, args.output, args.annex_a, args.strict)


def _cmd_validate(args) -> str:
    from cscbook.data.validate import validate_command

    text, ok = validate_command(args.cin_census, args.la, args.output, args.strict)
    if not ok:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        raise CSCBookError("validate: a return would be refused (the problems are listed above)")
    return text


def check_output_file(path: str, parameter: str) -> None:
    """A file to write must not be a folder, nor lie under a file or in a folder that cannot be written."""
    from cscbook.core.inputs import check_writable_folder

    target = Path(path).expanduser()
    if target.is_dir():
        raise CSCBookError(f"{parameter} {path}: is a folder; give the path of the CSV file to write, "
                           "e.g. monthly.csv")
    check_writable_folder(target.resolve().parent, f"{parameter} {path}", "a path in a folder",
                          "a path in a folder you can write to")


def _reconciliation_lines(edition) -> list[str]:
    """Each complete year's referrals from the council's own monthly input against DfE's table C1, as known at
    the edition's quarter (the comparison its forecast page shows)."""
    from cscbook.data.monthly import read_extract
    from cscbook.data.reconciliation import edition_lines

    return edition_lines(read_extract(edition.monthly), edition.council.code, edition.quarter)


def _cmd_site(args) -> str:
    from cscbook.report.site import built_editions, publish_site

    sources = [Path(s).resolve() for s in args.sources]
    for s in sources:
        if not (s / "editions").is_dir():
            raise CSCBookError(f"--from {s}: no editions/ folder there; give the --output folder of a build")
    from cscbook.build.context import check_output

    out = check_output(args.output, force=True) if args.output else paths.repo_root()
    site = publish_site([s / "editions" for s in sources], out / "_build" / "html")
    n = len(built_editions([s / "editions" for s in sources]))
    return f"site with {n} editions at {site / 'index.html'}"


def _cmd_forecast(args) -> str:
    from cscbook.build.context import make_edition
    from cscbook.models.history import forecast_table

    edition = make_edition(args.la, args.quarter, args.monthly, scenarios=args.scenarios)
    if args.scenarios:
        from cscbook.models.results import EditionResults
        from cscbook.models.scenarios import comparison_for, load_scenarios

        chosen = load_scenarios(args.scenarios, edition.quarter, edition.council.code)
        cmp = comparison_for(edition.council.code, edition.quarter, args.monthly, chosen,
                             results=EditionResults(edition))
        frame = cmp.plans.assign(month=cmp.plans["month"].astype(str))
        return render(frame, args.format, {c: 2 if c == "probability_over_capacity" else 1 for c in frame.columns})
    frame = forecast_table(edition.council.code, edition.quarter, args.monthly)
    return render(frame, args.format, {c: 1 for c in frame.columns})


def _cmd_backtest(args) -> str:
    from cscbook.data.edition import latest_quarter
    from cscbook.data.register import resolve
    from cscbook.models import annual
    from cscbook.models.demand import monthly_series
    from cscbook.models.history import monthly_forecast

    if args.level == "annual":
        code = resolve(args.la).code if args.la else None
        summary, _ = annual.backtest(code)
    else:
        code = resolve(args.la or "825").code
        quarter = latest_quarter()
        series = monthly_series(code, quarter, args.monthly)
        result = monthly_forecast(series, quarter)  # the edition's chain: what the history supports
        if not result.tested:
            raise CSCBookError(f"{len(series.referrals)} months are too few to backtest (a backtest needs 24): "
                               "give a longer --monthly extract")
        summary = result.summary.drop(columns="why_kept")  # at the horizons the edition publishes, where reached
        horizons = result.scored_horizons
        summary["horizons"] = f"{horizons[0]} to {horizons[-1]}"
        summary["basis"] = series.basis
    return render(summary, args.format, {"mase": 3, "bias": 1, "coverage_80": 3, "coverage_95": 3})


def _cmd_timeline(args) -> str:
    from cscbook.core.quarters import Quarter
    from cscbook.data.timeline import COLUMNS, timeline

    until = Quarter.parse(args.until, "--until") if args.until else None
    frame = timeline(args.la, until)[COLUMNS]
    return render(frame, args.format)


def build_parser() -> argparse.ArgumentParser:
    """The ``cscbook`` command line: every subcommand with its options, each bound to the function that runs it."""
    parser = _Parser(prog="cscbook", description="Children's social care report book: data, timeline, forecasts.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("indicators", help="one row per year of a council's indicators and comparisons")
    p.add_argument("--la", required=True, help="council name or three-digit DfE code (e.g. 825, 'West Sussex')")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_indicators)

    p = sub.add_parser("councils", help="the register of councils: codes, names, regions, neighbours")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_councils)
    p = sub.add_parser("timeline", help="a council's improvement timeline: sources and official Ofsted records")
    p.add_argument("--la", required=True, help="council name or code")
    p.add_argument("--until", help="only what was known by the end of this quarter (YYYYQn)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_timeline)

    p = sub.add_parser("forecast", help="monthly and annual referral forecasts for a council at a quarter")
    p.add_argument("--la", required=True, help="council name or code")
    p.add_argument("--quarter", required=True, help="calendar quarter YYYYQn: data known by its end")
    p.add_argument("--monthly", help="the council's own monthly extract (CSV); default: the illustrative example")
    p.add_argument("--scenarios", help="YAML file of what-if staffing scenarios: prints the capacity plans")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_forecast)

    p = sub.add_parser("backtest", help="rolling-origin backtest of the forecast models")
    p.add_argument("--level", choices=("annual", "monthly"), required=True)
    p.add_argument("--la", help="council name or code (annual: default all councils; monthly: default 825)")
    p.add_argument("--monthly", help="monthly level: the council's own extract (CSV)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_backtest)

    p = sub.add_parser("build", help="run the chapters and compile the book for one or many councils")
    p.add_argument("--la", nargs="+", help="council name(s) or code(s) (default: Buckinghamshire, 825)")
    p.add_argument("--all", action="store_true", help="every council reporting at the quarter")
    p.add_argument("--region", help="every council of a region, e.g. 'South East'")
    p.add_argument("--editions", help="a YAML list of editions (see editions.example.yml)")
    p.add_argument("--shard", help="K/N: build only the K-th of N deterministic slices (one per CI runner)")
    p.add_argument("--quarter", help="calendar quarter YYYYQn (default: the latest the data support)")
    p.add_argument("--monthly", help="the council's own monthly extract (CSV); default: the shipped example")
    p.add_argument("--cin-census", nargs="+", metavar="FILE", help="the council's CIN census returns (XML)")
    p.add_argument("--strict", action="store_true",
                   help="with --cin-census: refuse a return with any error (default: exclude and count such episodes)")
    p.add_argument("--scenarios", help="YAML file of what-if staffing scenarios (default: the shipped set)")
    p.add_argument("--jobs", type=int, help="notebooks run in parallel (default: $CSCBOOK_JOBS, else one per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--paper", choices=("auto", "require", "skip"),
                   help="the committee paper (PDF): 'auto' (default) prints it where a Chromium-family browser is "
                        "found and skips it with one line otherwise; 'require' fails without a browser; 'skip'")
    p.add_argument("--no-paper", action="store_true",
                   help="skip the committee paper (PDF): quicker drafts, or a national run publishing the pages only "
                        "(the same as --paper skip)")
    p.add_argument("--committee", help="the committee the paper goes to, printed on its cover "
                                       "(default: \"Children's Services Scrutiny Committee\")")
    p.add_argument("--meeting-date", metavar="YYYY-MM-DD",
                   help="the meeting the paper is tabled at, printed on its cover (default: 'to be set')")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument("--output", help="folder for editions/ and _build/html (default: the repository)")
    p.add_argument("--shared-cache", metavar="DIR",
                   help="folder of the results shared by every council (panel model, event study), keyed by data "
                        "and code version; one folder can serve several outputs or CI runners (default: "
                        "$CSCBOOK_SHARED_CACHE, else inside --output)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("extract", help="monthly demand from a council's CIN census returns, as a monthly CSV")
    p.add_argument("--cin-census", nargs="+", required=True, metavar="FILE",
                   help="the council's annual CIN census returns (DfE XML), one per collection year")
    p.add_argument("--la", help="council name or code (default: the LEA named in the returns)")
    p.add_argument("--annex-a", help="Ofsted Annex A workbook (.xlsx): adds monthly contacts")
    p.add_argument("--output", required=True, help="the monthly CSV to write (monthly extract contract)")
    p.add_argument("--strict", action="store_true",
                   help="refuse a return with any error (default: exclude and count episodes that break a rule)")
    p.set_defaults(func=_cmd_extract)

    p = sub.add_parser("browser", help="which browser prints the committee paper (exit 2 when there is none)")
    p.add_argument("--install", action="store_true",
                   help="where there is none, try to download Playwright's Chromium (quietly; exit 0 either way)")
    p.set_defaults(func=_cmd_browser)
    p = sub.add_parser("validate", help="every problem in a council's CIN census returns, in one run")
    p.add_argument("--cin-census", nargs="+", required=True, metavar="FILE",
                   help="the council's CIN census returns (DfE XML), annual or in-year")
    p.add_argument("--la", help="council name or code (default: the LEA named in the returns)")
    p.add_argument("--output", metavar="DIR",
                   help="folder for cin-validation.csv (every problem, with child IDs: keep it local) and a summary")
    p.add_argument("--strict", action="store_true", help="any error refuses a return (for CI)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("site", help="publish one site from the editions built in one or more output folders")
    p.add_argument("--from", dest="sources", nargs="+", required=True, metavar="DIR",
                   help="--output folders of earlier builds (e.g. one per shard)")
    p.add_argument("--output", help="folder for _build/html (default: the repository)")
    p.set_defaults(func=_cmd_site)

    from cscbook.data.installcli import register_cli

    register_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: the process's arguments) and print its output; the exit status: 0
    done, 2 bad input (one line per problem, no traceback), 1 a fault of cscbook, 130 interrupted."""
    try:
        args = build_parser().parse_args(argv)
        text = args.func(args)
    except CSCBookError as exc:  # one line per problem
        for line in str(exc).splitlines() or [""]:
            print(f"cscbook: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cscbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a file or folder the system refused: one line, never a traceback
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"cscbook: error: {where}{exc.strerror or type(exc).__name__}; check the path and its permissions",
              file=sys.stderr)
        return 2
    except Exception as exc:  # a fault of cscbook itself: one line naming it (CSCBOOK_DEBUG=1 shows the traceback)

        if Settings.from_env().debug:
            raise
        from cscbook.core.inputs import excerpt

        print(f"cscbook: internal error: {type(exc).__name__}: {excerpt(str(exc), 120)}; please report it "
              "(set CSCBOOK_DEBUG=1 for the details)", file=sys.stderr)
        return 1
    sys.stdout.write(text + ("\n" if text and not text.endswith("\n") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
