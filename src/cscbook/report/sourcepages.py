"""Source documents as pages of the book: each named by its title from ``data/sources/INDEX.md``, holding the
document's text with every quoted sentence highlighted, so a reader can check a quote in its context."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from cscbook.core import atomic, paths
from cscbook.core.errors import CSCBookError
from cscbook.data.sources import normalise
from cscbook.data.timeline import curated_events, quoted_figures

#: where the pages go inside the staged book, and their address from a chapter page (notebooks/<name>.html)
PAGE_DIR = "book/sources"
FROM_CHAPTER = "../book/sources"

#: official files quoted by the timeline, named in words
OFFICIAL_TITLES = {
    "ofsted_ilacs": "Ofsted: inspection outcomes under the ILACS framework (official statistics)",
    "ofsted_la_inspections": "Ofsted: local authority children's services inspection outcomes (official statistics)",
}

_FOLD = {"'": "['\u2018\u2019]", '"': '["\u201c\u201d]', "-": "[-\u2013\u2014]"}


@lru_cache(maxsize=None)
def index() -> pd.DataFrame:
    """The rows of ``data/sources/INDEX.md``: file, what (the description), date, council, title."""
    path = paths.sources_dir() / "INDEX.md"
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].endswith(".txt"):
            continue
        what = cells[1]
        short = re.sub(r"\s*\([^)]*\)\s*$", "", what).strip()
        rows.append({"file": cells[0], "what": what, "date": cells[2], "council": cells[3],
                     "title": f"{cells[3]}, {short}, {cells[2]}" if cells[3] else f"{short}, {cells[2]}"})
    if not rows:
        raise CSCBookError(f"{path}: no source rows found; add a table row '| file | what it is | date | council |'")
    return pd.DataFrame(rows)


def title(source: str) -> str:
    """A source named in words: its council, the INDEX.md description and date; or the official statistics it
    comes from."""
    idx = index()
    hit = idx[idx["file"] == source]
    if not hit.empty:
        return hit.iloc[0]["title"]
    for prefix, name in OFFICIAL_TITLES.items():
        if source.startswith(prefix):
            return name
    return source


def page_name(source: str) -> str | None:
    """The page stem of a source document (None for official statistics, which have no page)."""
    return Path(source).stem if (index()["file"] == source).any() else None


def link(source: str, quote_number: int | None = None) -> str | None:
    """Address of a source's page from a chapter page (with the quote's anchor), or None."""
    stem = page_name(source)
    if stem is None:
        return None
    return f"{FROM_CHAPTER}/{stem}.html" + (f"#quote-{quote_number}" if quote_number else "")


def _pattern(quote: str) -> re.Pattern:
    """A pattern matching the quote in the raw text: any run of whitespace (or bold markup) between words,
    typographic quotes and dashes folded as :func:`cscbook.data.sources.normalise` folds them."""
    words = [w for w in normalise(quote).split(" ") if w]
    return re.compile(r"[\s*]+".join("".join(_FOLD.get(ch, re.escape(ch)) for ch in w) for w in words))


def highlighted(text: str, quotes: list[str]) -> tuple[str, dict[str, int]]:
    """The text HTML-escaped with each quote found wrapped in ``<mark id="quote-N">`` (numbered in order of
    appearance); returns the HTML and the number of each quote found. A quote inside an earlier highlight
    takes that highlight's number."""
    spans = sorted((m.start(), m.end(), q) for q in dict.fromkeys(quotes) if (m := _pattern(q).search(text)))
    out, pos, numbers, last = [], 0, {}, 0
    for start, end, q in spans:
        if start < pos:
            numbers[q] = last
            continue
        last += 1
        numbers[q] = last
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark id="quote-{last}">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out), numbers


def quotes_by_source(la: str | None = None) -> dict[str, list[str]]:
    """Every quote the book uses (timeline events and quoted figures), by source file, oldest first."""
    frames = [curated_events()[["la_code", "source", "quote"]], quoted_figures()[["la_code", "source", "quote"]]]
    allq = pd.concat(frames, ignore_index=True)
    if la is not None:
        allq = allq[allq["la_code"] == la]
    return {s: list(dict.fromkeys(g["quote"].dropna())) for s, g in allq.groupby("source")}


def sources_for(la: str | None) -> list[str]:
    """The source documents of council ``la`` (those holding a quote the book uses for it: a timeline event or a
    quoted figure), in the order of ``INDEX.md``; every document when ``la`` is None. An edition shows only these."""
    files = list(index()["file"])
    if la is None:
        return files
    own = set(quotes_by_source(la))
    return [f for f in files if f in own]


def timeline_table(events: pd.DataFrame) -> pd.DataFrame:
    """The timeline page's table: one row per event (:func:`cscbook.data.timeline.timeline`) with its date at its
    precision (a year shown as the year), kind, title, every source that mentions it named in words (joined by
    "; ") and what each says (each quote in quotation marks), and a link to the first source document's page."""
    rows = []
    for _, e in events.iterrows():
        srcs = list(e["sources"]) if isinstance(e.get("sources"), tuple) else [e["source"]]
        quotes = list(e["quotes"]) if isinstance(e.get("quotes"), tuple) else [e["quote"]]
        docs = [(s, q) for s, q in zip(srcs, quotes) if page_name(s)]
        when = e["when"] + (" (date of the paper)" if e.get("date_basis") == "document" else "")
        rows.append(dict(when=when, kind=str(e["kind"]).capitalize(), title=e["title"],
                         source="; ".join(title(s) for s in srcs),
                         quote=quotes[0] if len(quotes) == 1 else " ".join(f"\u201c{q}\u201d" for q in quotes),
                         link=link(docs[0][0], quote_numbers(docs[0][0]).get(docs[0][1])) if docs else None))
    return pd.DataFrame(rows, columns=["when", "kind", "title", "source", "quote", "link"])


def quote_numbers(source: str) -> dict[str, int]:
    """The anchor number of each quote on a source's page (the same numbering the page uses)."""
    text = (paths.sources_dir() / source).read_text(encoding="utf-8")
    return dict(_numbers(text, tuple(quotes_by_source().get(source, []))))


@lru_cache(maxsize=64)
def _numbers(text: str, quotes: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """The quote numbers of a text, found once per text and quotes (a chapter asks for each quote it links)."""
    return tuple(highlighted(text, list(quotes))[1].items())


def page_markdown(source: str) -> str:
    """The MyST page of one source: title, details, and its text with the quotes highlighted."""
    row = index().set_index("file").loc[source]
    text = (paths.sources_dir() / source).read_text(encoding="utf-8")
    body, numbers = highlighted(text, quotes_by_source().get(source, []))
    return (f"# {row['title']}\n\n"
            f"{row['what']}. Published by {row['council']}, {row['date']}. Plain text extracted from the published "
            f"document (tables and page furniture may be garbled). The {len(numbers)} sentences the book quotes are "
            f"highlighted.\n\n"
            f'<pre class="cscbook-source">{body}</pre>\n')


def write_source_pages(stage: Path, edition=None) -> list[Path]:
    """Write one page per source document of the edition's council (:func:`sources_for`; every document without
    an edition) into the staged book (``book/sources/``) and list them in the staged ``_toc.yml`` under "Sources".
    Call after the table of contents is written. Returns the pages written."""
    out_dir = stage / PAGE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources_for(edition.council.code if edition is not None else None):
        path = out_dir / f"{Path(source).stem}.md"
        atomic.write_text(path, page_markdown(source))
        written.append(path)
    if not written:  # a council without source documents: no "Sources" part
        return written
    toc_path = stage / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    parts = toc.setdefault("parts", [])
    # before the analysts' appendix, which stays last in the book (cscbook.build.batch._write_toc)
    at = next((i for i, part in enumerate(parts) if part.get("caption") == "Analysts' appendix"), len(parts))
    parts.insert(at, {"caption": "Sources", "chapters": [{"file": f"{PAGE_DIR}/{p.stem}"} for p in written]})
    atomic.write_text(toc_path, yaml.safe_dump(toc, sort_keys=False))
    return written
