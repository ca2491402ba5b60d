"""The committee paper's cover, executive summary and footer: the council, committee, meeting date, author and
contact (``book/committee_paper.yml``), the decisions sought from the headline page, and a footer dated by the
edition (the meeting or the data), never by the day it was printed."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.models.claims import NO_DECISION, NO_RECRUITMENT

#: the committee the paper goes to, when ``--committee`` is not given: a neutral name. Councils name their own
#: (the source papers show Buckinghamshire's "Children's Select Committee", data/sources/003, and West Sussex's
#: "Children and Young People's Services Select Committee", data/sources/004): give it with ``--committee``.
DEFAULT_COMMITTEE = "Children's Services Scrutiny Committee"


#: the meeting date when ``--meeting-date`` is not given: the clerk sets it
MEETING_TO_BE_SET = "to be set"


#: the cover's author, contact and purpose (repository-relative; neutral defaults when it is absent)
SETTINGS_FILE = "book/committee_paper.yml"


_DEFAULT_SETTINGS = {"author": "Director of Children's Services", "contact": "Democratic services of the council",
                     "purpose": "To give the committee the quarter's evidence on children's social care."}


def footer_date(meta: dict) -> str:
    """The date the paper's footer prints: one that belongs to the edition, so that the same edition printed on two
    days prints the same paper. ``printed`` where the caller gives it, else the meeting date (``meeting_date``, as
    :func:`meeting_date_text` gives it) where one is set, else the newest publication date of the official data the
    edition reads (``data_published``, ISO); never today's date."""
    if meta.get("printed"):
        return f"printed {meta['printed']}"
    meeting = str(meta.get("meeting_date") or "").strip()
    if meeting and meeting != MEETING_TO_BE_SET:
        return f"meeting {meeting}"
    if meta.get("data_published"):
        published = date.fromisoformat(str(meta["data_published"])[:10])
        return f"data published by {published.day} {published:%B %Y}"
    return ""


def _footer(meta: dict) -> str:
    when = footer_date(meta)
    text = html.escape(f"{meta.get('council', '')} · edition {meta.get('quarter', '')}" + (f" · {when}" if when else ""))
    return ('<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
            f'color:#333"><span>{text}</span><span>Page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


def meeting_date_text(value: str | None) -> str:
    """The meeting date as the cover prints it: ``YYYY-MM-DD`` as "4 December 2026", nothing as
    :data:`MEETING_TO_BE_SET`. Anything else is refused with one message saying how to give it."""
    if value is None or not str(value).strip() or str(value).strip().lower() == MEETING_TO_BE_SET:
        return MEETING_TO_BE_SET
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise CSCBookError(f"--meeting-date {value!r}: give the date as YYYY-MM-DD, e.g. 2026-07-14, "
                           f"or leave it out ({MEETING_TO_BE_SET!r} is printed)") from None
    return f"{day.day} {day.strftime('%B %Y')}"


def paper_settings(root: Path | None = None) -> dict:
    """The cover's ``author``, ``contact`` and ``purpose`` from :data:`SETTINGS_FILE` (neutral defaults for
    any it does not give)."""
    import yaml

    file = (root or paths.repo_root()) / SETTINGS_FILE
    loaded = yaml.safe_load(file.read_text(encoding="utf-8")) if file.exists() else None
    settings = dict(_DEFAULT_SETTINGS)
    if isinstance(loaded, dict):
        settings.update({k: str(v).strip() for k, v in loaded.items() if k in settings and v})
    return settings


def _text(fragment: str) -> str:
    """The words of an HTML fragment, links' words kept, tags dropped, spaces tidied."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


#: a link from a headline to its chapter: a dead end on paper
_SEE_CHAPTER = re.compile(r"\s*<a [^>]*>\s*See the [^<]* chapter\.?\s*</a>")


def _part_lists(summary_page: str) -> list[tuple[str, str]]:
    """(part, inner HTML) of each list of headline sentences on the summary page, in page order."""
    return re.findall(r'<ul class="cscbook-headlines"(?: data-part="([^"]*)")?>(.*?)</ul>', summary_page, re.S)


def _items(inner: str) -> list[str]:
    return [_SEE_CHAPTER.sub("", li).strip() for li in re.findall(r"<li>(.*?)</li>", inner, re.S)]


def headline_items(summary_page: str) -> list[str]:
    """The headline sentences the summary chapter shows in its parts after "What to decide" (what changed, what
    is at risk, what improved), as HTML without their "See the … chapter" links."""
    return [i for part, inner in _part_lists(summary_page) if part and part != "decide" for i in _items(inner)]


def decisions_sought(pages: dict[str, str]) -> tuple[list[str], str | None]:
    """The decisions the paper asks for: the sentences of the headline page's "What to decide" part, which
    :func:`cscbook.models.headlines.decisions` wrote (``pages``: chapter name to HTML). With none, an empty list and
    the reason no decision is needed; with decisions, the note that none is needed on recruitment, else None."""
    asks = [_text(i) for part, inner in _part_lists(pages.get("summary", "")) if part == "decide"
            for i in _items(inner)]
    if len(asks) == 1 and asks[0].startswith(NO_DECISION):
        return [], asks[0][len(NO_DECISION):].lstrip(":. ") or None
    notes = [a for a in asks if a.startswith(NO_RECRUITMENT)]
    asks = [a for a in asks if a not in notes]
    if asks:
        return asks, " ".join(notes) or None
    return [], "The headline page states no decision for this quarter."


def cover_html(meta: dict, settings: dict | None = None) -> str:
    """The paper's cover: council, committee, meeting date, title, author and contact, purpose, and "Public"."""
    s = settings or paper_settings()
    e = html.escape
    rows = [("Committee", meta.get("committee") or DEFAULT_COMMITTEE),
            ("Meeting date", meta.get("meeting_date") or MEETING_TO_BE_SET),
            ("Report of", s["author"]), ("Contact", s["contact"]),
            ("Edition", f"data known by the end of calendar quarter {meta.get('quarter', '')}"),
            ("Classification", "Public")]
    table = "".join(f"<tr><th scope=\"row\">{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    return (f'<section class="cscbook-paper-cover"><p class="cscbook-paper-council">{e(meta.get("council", ""))}</p>'
            f'<h1>Children\'s social care: quarterly report, {e(str(meta.get("quarter", "")))}</h1>'
            f'<table class="cscbook-paper-facts">{table}</table>'
            f'<h2>Purpose of the report</h2><p>{e(s["purpose"])}</p>'
            '<p class="cscbook-paper-public">Public</p></section>')


def summary_html(pages: dict[str, str]) -> str:
    """The one-page executive summary: the decisions sought (or why none is needed) and the headline sentences."""
    asks, reason = decisions_sought(pages)
    if asks:
        decided = "<ol>" + "".join(f"<li>{html.escape(a)}</li>" for a in asks) + "</ol>"
        decided += f"<p>{html.escape(reason)}</p>" if reason else ""  # e.g. that no recruitment is called for
    else:
        decided = f"<p><strong>No decision needed this quarter.</strong> {html.escape(reason)}</p>"
    items = headline_items(pages.get("summary", ""))
    points = ("<h2>Key points</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>") if items else ""
    return ('<section class="cscbook-paper-summary" style="break-before: page"><h1>Executive summary</h1>'
            f'<h2>Decisions sought</h2>{decided}{points}</section>')
