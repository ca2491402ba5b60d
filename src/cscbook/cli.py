"""The ``cscbook`` command line.

Every user error ends with one line on standard error naming the problem and how to fix it, and exit
status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import paths
from .errors import CSCBookError
from .output import FORMATS, render


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, as for every other user error
        raise CSCBookError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _cmd_indicators(args) -> str:
    from .indicators import CORE_COLUMNS, indicators_for, rounding

    frame = indicators_for(args.la, CORE_COLUMNS)
    frame = frame.drop(columns=["old_la_code", "la_name"])
    return render(frame, args.format, {c: rounding(c) for c in frame.columns})


def _cmd_councils(args) -> str:
    from .register import register

    reg = register().reset_index()
    reg["neighbours"] = reg["neighbours"].map(" ".join)
    reg["new_codes"] = reg["new_codes"].map(" ".join)
    frame = reg[["old_la_code", "name", "region", "new_codes", "first_year", "last_year", "neighbours"]]
    return render(frame, args.format)


def _cmd_build(args) -> str:
    from .build import build
    from .edition import make_edition

    from . import build as build_module

    if args.output:
        out = Path(args.output).resolve()
        if out.exists() and not out.is_dir():
            raise CSCBookError(f"--output {args.output}: exists and is not a folder")
        build_module.OUTPUT_ROOT = out
    edition = make_edition(args.la, args.quarter, args.monthly)
    print(f"building {edition.council.name} ({edition.council.code}) {edition.quarter} "
          f"[{edition.quarter.financial_quarter}]", file=sys.stderr)
    dest = build(edition, jobs=args.jobs, log=lambda m: print(m, file=sys.stderr), force=args.force)
    meta = json.loads((dest / "edition.json").read_text())
    return (f"edition written to {dest}\ncontent hash {meta['content_hash']}\n"
            f"site index at {build_module.site_dir() / 'index.html'}")


def _cmd_forecast(args) -> str:
    from .demand import forecast_table
    from .edition import make_edition

    edition = make_edition(args.la, args.quarter, args.monthly)
    frame = forecast_table(edition.council.code, edition.quarter, args.monthly)
    return render(frame, args.format, {c: 1 for c in frame.columns})


def _cmd_backtest(args) -> str:
    from . import annual, forecast
    from .demand import monthly_series
    from .edition import latest_quarter
    from .register import resolve

    if args.level == "annual":
        code = resolve(args.la).code if args.la else None
        summary, _ = annual.backtest(code)
    else:
        code = resolve(args.la or "825").code
        series = monthly_series(code, latest_quarter(), args.monthly)
        summary = forecast.summarise(forecast.backtest_errors(series.referrals))
        summary["basis"] = series.basis
    return render(summary, args.format, {"mase": 3, "bias": 1, "coverage_80": 3, "coverage_95": 3})


def _cmd_timeline(args) -> str:
    from .quarters import Quarter
    from .timeline import COLUMNS, timeline

    until = Quarter.parse(args.until, "--until") if args.until else None
    frame = timeline(args.la, until)[COLUMNS]
    return render(frame, args.format)


def build_parser() -> argparse.ArgumentParser:
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
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_forecast)

    p = sub.add_parser("backtest", help="rolling-origin backtest of the forecast models")
    p.add_argument("--level", choices=("annual", "monthly"), required=True)
    p.add_argument("--la", help="council name or code (annual: default all councils; monthly: default 825)")
    p.add_argument("--monthly", help="monthly level: the council's own extract (CSV)")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_cmd_backtest)

    p = sub.add_parser("build", help="run the chapters and compile the book for one council and quarter")
    p.add_argument("--la", help="council name or code (default: Buckinghamshire, 825)")
    p.add_argument("--quarter", help="calendar quarter YYYYQn (default: the latest the data support)")
    p.add_argument("--monthly", help="the council's own monthly extract (CSV); default: the shipped example")
    p.add_argument("--jobs", type=int, help="chapters run in parallel (default: one per core)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("--output", help="folder for editions/ and _build/html (default: the repository)")
    p.set_defaults(func=_cmd_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        text = args.func(args)
    except CSCBookError as exc:
        print(f"cscbook: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cscbook: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    sys.stdout.write(text + ("\n" if text and not text.endswith("\n") else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
