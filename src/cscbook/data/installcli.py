"""``cscbook data add`` and ``cscbook data status`` on the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.output import FORMATS, render
from cscbook.data.datastatus import status, status_frame
from cscbook.data.install import add_release
from cscbook.data.releasecheck import MOVE_FACTOR
from cscbook.data.tables import TABLES


def _cmd_add(args) -> str:
    published = None
    if args.published:
        try:
            published = date.fromisoformat(args.published)
        except ValueError:
            raise CSCBookError(f"--published {args.published!r} is not a date: write YYYY-MM-DD, "
                               "e.g. 2026-10-29") from None
    report = add_release(Path(args.file), args.table, published, paths.repo_root(), title=args.title,
                         publisher=args.publisher, url=args.url, accept_revision=args.accept_revision)
    return report.text()


def _cmd_status(args) -> str:
    if args.format == "table":
        return status(paths.repo_root())
    return render(status_frame(paths.repo_root()), args.format)


def register_cli(subparsers) -> None:
    """Add ``cscbook data add`` and ``cscbook data status`` to the command line's subparsers."""
    p = subparsers.add_parser("data", help="official data: add a new release, list what is installed")
    sub = p.add_subparsers(dest="data_command", required=True, parser_class=type(p))
    a = sub.add_parser("add", help="check a downloaded release and install it beside the old ones")
    a.add_argument("file", help="the downloaded file (CSV)")
    a.add_argument("--table", required=True, help=f"the table it holds: {', '.join(TABLES)}")
    a.add_argument("--published", help="the publisher's release date YYYY-MM-DD (default: today)")
    a.add_argument("--title", help="the release's title (default: the table's title and years)")
    a.add_argument("--publisher", help="default: the publisher of the installed release")
    a.add_argument("--url", help="where it was downloaded from (default: that of the installed release)")
    a.add_argument("--accept-revision", action="store_true",
                   help=f"install even if a headline count moves more than {MOVE_FACTOR:g} times in a year "
                        "(after checking it with the publisher)")
    a.set_defaults(func=_cmd_add)
    s = sub.add_parser("status", help="each table: years, release date, newest edition, releases due")
    s.add_argument("--format", choices=FORMATS, default="table")
    s.set_defaults(func=_cmd_status)
