"""Helpers for the chapter notebooks: parameter checks, figures with alt text, safe tables, plain prose."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cscbook.core.disclosure import suppress  # noqa: E402
from cscbook.core.inputs import safe_cell  # noqa: E402
from cscbook.data.tables import TABLES, release_for

#: Okabe-Ito colour-blind-safe palette
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: Okabe-Ito colours by grade, except Inadequate: the red of Paul Tol's colour-blind-safe "vibrant" scheme
#: (#CC3311), told from Requires improvement's Okabe-Ito orange by colour under deuteranopia as well as by shape
GRADE_COLOURS = {"Outstanding": "#0072B2", "Good": "#009E73", "Adequate": "#56B4E9",
                 "Requires improvement": "#E69F00", "Inadequate": "#CC3311"}
GRADE_MARKERS = {"Outstanding": "*", "Good": "o", "Adequate": "s", "Requires improvement": "D", "Inadequate": "X"}
#: the width a figure is printed at on the committee paper: an A4 sheet (210 mm) less the paper's left and right
#: margins (12 mm each, :func:`cscbook.paper._print_page`); the print stylesheet (book/_static/cscbook.css) sets
#: each figure to this full width
PRINTED_WIDTH_IN = (210 - 2 * 12) / 25.4
#: the height of the sheet a figure must fit: A4 (297 mm) less the paper's top and bottom margins (14 and 16 mm)
PRINTED_HEIGHT_IN = (297 - 14 - 16) / 25.4
#: the width of a figure's own drawing (its legend, beside it, takes it to about PRINTED_WIDTH_IN) and the base
#: font size every chart text is relative to ("small" is 0.83 of it): 9.2 pt text prints at 8 pt or more on a
#: figure saved up to 8.4 in wide
FIGURE_WIDTH_IN = 5.8
FONT_PT = 11
#: characters a line of a chart's title holds at the figure's width (longer titles wrap between words)
TITLE_CHARS = 55


def wrapped(text: str, width: int = TITLE_CHARS) -> str:
    """A chart's title broken between words into lines of at most ``width`` characters."""
    import textwrap

    return textwrap.fill(text, width, break_long_words=False)
ILLUSTRATIVE_NOTE = "ILLUSTRATIVE: monthly figures modelled from published annual totals, not real monthly data"


#: what every CSV download of the current chapter says about itself (set by :func:`use_edition`)
_EDITION_NOTE: dict = {}


def use_edition(ed) -> None:
    """Make every later download of this chapter's tables say which edition it comes from (called once by the
    chapter's setup, :func:`cscbook.build.chapter.setup`)."""
    _EDITION_NOTE.clear()
    _EDITION_NOTE.update(download_note(ed))
#: the licence of the official statistics the book is built from (data/official/PROVENANCE.md)
LICENCE = "Open Government Licence v3.0 (Crown copyright official statistics: DfE, Ofsted, ONS)"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


def _scalar(v):
    """A table cell as a plain Python value, None where it is missing."""
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v.item() if hasattr(v, "item") else v


def download_note(ed) -> dict:
    """The sidecar facts of an edition's downloads: source, the newest publication date among the official
    releases the edition reads (those current at the end of its quarter), licence and edition."""
    published = []
    for table in TABLES:
        try:
            r = release_for(table, ed.quarter)
        except Exception:  # a table without a release current at the quarter: none of its figures are shown
            continue
        if r.published is not None:
            published.append(r.published)
    return {"edition": f"{ed.council.name} ({ed.council.code}), {ed.quarter}",
            "source": "Official statistics of DfE, Ofsted and ONS as published by the end of the quarter "
                      "(data/official/manifest.yml; the book's Data sources page)",
            "published": max(published).isoformat() if published else "",
            "figures_as_at": ed.quarter.end.isoformat(),
            "licence": LICENCE, "licence_url": LICENCE_URL}


def fresh_start(shell) -> None:
    """Clear a kernel that ran an earlier chapter, before the next: the chapter's names and the output cache
    go (what ``%reset -f`` clears, without its full garbage collection, which took longer than most cells),
    open figures are closed and matplotlib's settings restored; imported modules and loaded tables stay."""
    hidden = shell.user_ns_hidden
    for name in [n for n in shell.user_ns if n not in hidden and not n.startswith("_")]:
        del shell.user_ns[name]
    for name in [n for n in shell.user_ns if n[:1] == "_" and n[1:].isdigit()]:  # outputs kept as _1, _2 …
        del shell.user_ns[name]
    if isinstance(shell.user_ns.get("_oh"), dict):
        shell.user_ns["_oh"].clear()
    shell.displayhook._, shell.displayhook.__, shell.displayhook.___ = "", "", ""
    shell.user_ns.update({"_": "", "__": "", "___": ""})
    plt.close("all")
    matplotlib.rcdefaults()


def style() -> None:
    """Set the chapters' chart style once: the colour-blind-safe palette, figures about the printed width and text
    sizes that print at 8 pt or more."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", palette=PALETTE)
    # figures are drawn about as wide as the committee paper prints them (PRINTED_WIDTH_IN, with the legend
    # beside the axes) and every text size follows font.size (charts give sizes as "small", "medium", ...), so
    # that the smallest text prints at 8 pt or more (tests/test_chart_text.py) and reads at its own size on screen
    plt.rcParams.update({"figure.figsize": (FIGURE_WIDTH_IN, 3.8), "figure.dpi": 96, "savefig.dpi": 96,
                         "font.size": FONT_PT, "axes.labelsize": "medium", "xtick.labelsize": "small",
                         "ytick.labelsize": "small", "legend.fontsize": "small", "legend.title_fontsize": "small",
                         "figure.titlesize": "large", "figure.titleweight": "bold",
                         "axes.titleweight": "bold", "axes.titlesize": "large", "axes.titley": 1.0,
                         # text is text: a user's scenario name with dollar signs is not laid out as maths
                         "text.parse_math": False})


#: figures are stored as SVG (vector: sharp on screen and in print at any size, and quicker to draw than a
#: PNG of print resolution); a fixed salt and no date keep the file the same from build to build
SVG_SETTINGS = {"svg.hashsalt": "cscbook", "svg.fonttype": "path"}


def show(fig, alt: str, caption: str | None = None, data: dict | None = None) -> None:
    """Display a figure as an image with alt text (and an optional caption), then close it.

    ``data`` becomes ``data-*`` attributes of the figure, so tests and readers can find what it plots."""
    import re

    from IPython.display import HTML, display

    buf = io.BytesIO()
    with plt.rc_context(SVG_SETTINGS):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    # shown at the saved image's own size (its legend and titles included), so its text reads at the size drawn
    found = re.search(rb'<svg[^>]*\swidth="([0-9.]+)pt"', buf.getvalue()[:2000])
    width = float(found.group(1)) / 72 if found else fig.get_size_inches()[0]
    encoded = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    attrs = "".join(f' data-{html.escape(k, quote=True)}="{html.escape(str(v), quote=True)}"'
                    for k, v in (data or {}).items())
    display(HTML(f'<figure class="cscbook-figure"{attrs}><img src="data:image/svg+xml;base64,{encoded}" '
                 f'alt="{html.escape(alt, quote=True)}" style="max-width:100%;width:{width * 96:.0f}px">{cap}</figure>'))


def table(frame: pd.DataFrame, counts: list[str] | None = None, derived: dict | None = None,
          caption: str | None = None, places: dict | None = None, note: str | None = None,
          labels: dict | None = None, policy=None, filename: str | None = None, hrefs: dict | None = None,
          download: pd.DataFrame | None = None) -> None:
    """Display a table for people, with disclosure control applied, and a link to download it as CSV.

    ``labels`` maps column names to headings in words; ``places`` gives decimals per column (counts are
    whole numbers, other numbers one decimal); ``policy`` is passed to the disclosure policy when given;
    ``hrefs`` maps a column to the column holding each cell's link (not shown). The CSV holds the same
    suppressed values as the page, with the same headings; ``download`` (the same rows, headings already in
    words) replaces it where the page joins fields a download keeps apart (a range, "26 of 153").
    """
    from IPython.display import HTML, display

    display(HTML(table_html(frame, counts, derived, caption, places, note, labels, policy, filename, hrefs,
                            download)))


def table_html(frame: pd.DataFrame, counts: list[str] | None = None, derived: dict | None = None,
               caption: str | None = None, places: dict | None = None, note: str | None = None,
               labels: dict | None = None, policy=None, filename: str | None = None,
               hrefs: dict | None = None, download: pd.DataFrame | None = None) -> str:
    """The HTML of :func:`table`: a scrolling box holding the table, its note and a CSV download link."""
    hrefs = {c: h for c, h in (hrefs or {}).items() if c in frame.columns and h in frame.columns}
    targets = {c: frame[h].tolist() for c, h in hrefs.items()}
    frame = frame.drop(columns=list(set(hrefs.values())))
    safe = suppress(frame, counts or [], derived, policy=policy)
    places = places or {}
    labels = labels or {}

    def fmt(col, v):
        v = _scalar(v)
        if v is None or _is_year(col, v):
            return "" if v is None else str(int(v))
        if isinstance(v, float):
            p = places.get(col, 0 if col in (counts or []) else 1)
            return f"{v:,.{p}f}"
        if isinstance(v, int):
            return f"{v:,}"
        if isinstance(v, pd.Timestamp):
            return f"{v:%d %b %Y}" if (v.hour, v.minute) == (0, 0) else str(v)
        return str(v)

    heads = [str(labels.get(c, c)) for c in safe.columns]
    shown = [[fmt(c, v) for c, v in zip(safe.columns, row)] for row in safe.itertuples(index=False, name=None)]
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in heads)
    def cell(c, v, i):
        href = targets.get(c, [None] * (i + 1))[i]
        text = html.escape(v)
        if isinstance(href, str) and href:
            text = f'<a href="{html.escape(href, quote=True)}">{text}</a>'
        return f'<td class="{_cell_class(c)}">{text}</td>'

    body = "".join("<tr>" + "".join(cell(c, v, i) for c, v in zip(safe.columns, row)) + "</tr>"
                   for i, row in enumerate(shown))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = f'<p class="cscbook-note">{html.escape(note)}</p>' if note else ""
    def machine(col, v):
        """The CSV's cell: numbers as numbers (no thousands separators, rounded as shown), dates as ISO dates."""
        v = _scalar(v)
        if v is None or _is_year(col, v):
            return "" if v is None else str(int(v))
        if isinstance(v, bool):  # as the page shows it: 1 or 0
            return str(int(v))
        if isinstance(v, float):
            return f"{v:.{places.get(col, 0 if col in (counts or []) else 1)}f}"
        if isinstance(v, pd.Timestamp):
            return v.date().isoformat() if (v.hour, v.minute) == (0, 0) else v.isoformat()
        return str(v)

    split = ""
    if download is not None:  # one column per field: the page's joined fields kept apart
        if len(download) != len(safe):
            raise ValueError(f"table {caption!r}: the download has {len(download)} rows, the table {len(safe)}")
        safe, heads, split = suppress(download, [], policy=policy), [str(c) for c in download.columns], ' data-fields="split"'
    # text cells a spreadsheet would run as a formula are neutralised in the download (numbers stay numbers)
    rows = [[safe_cell(machine(c, v)) if isinstance(v, str) else machine(c, v) for c, v in zip(safe.columns, row)]
            for row in safe.itertuples(index=False, name=None)]
    csv = pd.DataFrame(rows, columns=[safe_cell(h) for h in heads]).to_csv(index=False)
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv.encode("utf-8")).decode("ascii")
    name = filename or _slug(caption or "table") + ".csv"
    about = sidecar(name, caption, heads, rows)
    about_href = "data:application/json;charset=utf-8;base64," + base64.b64encode(about.encode("utf-8")).decode("ascii")
    about_name = name.removesuffix(".csv") + ".csv-metadata.json"
    link = (f'<p class="cscbook-download"><a href="{href}" download="{html.escape(name, quote=True)}"{split}>'
            f'Download this table as CSV</a> (<a href="{about_href}" download="{html.escape(about_name, quote=True)}">'
            f'about this download</a>: source, publication date, licence and edition)</p>')
    return (f'<div class="cscbook-table" tabindex="0" role="region" aria-label="{html.escape(caption or "Table", quote=True)}">'
            f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{foot}{link}")


def _is_year(col, v) -> bool:
    """A calendar or financial year in a column named for years ("year", "Year to 31 March", "event_year"):
    printed as 2022, never 2,022."""
    return ("year" in str(col).lower() and isinstance(v, (int, float)) and not isinstance(v, bool)
            and float(v).is_integer() and 1900 <= v <= 2100)


def sidecar(name: str, caption: str | None, heads: list[str], rows: list[list[str]]) -> str:
    """The JSON sidecar of a CSV download (after CSV on the Web's metadata): its title, the edition, the source,
    the newest publication date of the official data the edition reads, the licence, and each column's heading
    and whether it holds numbers (``c``, a suppressed small count, and empty cells aside)."""
    import json
    import re

    number = re.compile(r"-?\d+(\.\d+)?")
    columns = []
    for i, h in enumerate(heads):
        cells = [r[i] for r in rows if r[i] not in ("", "c")]
        numeric = bool(cells) and all(number.fullmatch(c) for c in cells)
        columns.append({"titles": h, "datatype": "number" if numeric else "string"})
    meta = {"url": name, "dc:title": caption or "", **{f"cscbook:{k}": v for k, v in _EDITION_NOTE.items()},
            "cscbook:suppression": "c marks a count of 1 to 5 (and figures computed from it) withheld by disclosure "
                                   "control; an empty cell is not published", "tableSchema": {"columns": columns}}
    return json.dumps(meta, indent=1, ensure_ascii=False)


def _cell_class(col) -> str:
    return "cscbook-col-" + _slug(str(col))


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "table"


def _marked_up(text: str) -> str:
    """HTML-escape generated text, keeping **bold**."""
    parts = html.escape(text).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def warning(text: str) -> None:
    """A prominent warning box (for figures that disagree with the official count)."""
    from IPython.display import HTML, display

    display(HTML(f'<div class="cscbook-warning" role="alert"><p>{_marked_up(text)}</p></div>'))


def prose(text: str) -> None:
    """Display generated prose (HTML-escaped; **bold** kept)."""
    from IPython.display import HTML, display

    display(HTML(f"<p>{_marked_up(text)}</p>"))


#: the analysts' appendix (notebooks/appendix.ipynb) and the sections the leadership pages point to, by the
#: MyST target each section's heading carries there
APPENDIX_PAGE = "appendix.html"
APPENDIX_SECTIONS = ("appendix-backtest", "appendix-intervals", "appendix-annual", "appendix-events",
                     "appendix-funnels")


def see_appendix(text: str, section: str) -> None:
    """One plain-English sentence pointing to a section of the analysts' appendix: ``text`` with the words
    "analysts' appendix" linked to ``section`` (one of :data:`APPENDIX_SECTIONS`), e.g. "How well the models
    forecast the past is tested in the analysts' appendix." A raw link, so an edition built without the appendix
    still compiles (Sphinx would stop on a reference it cannot resolve)."""
    from IPython.display import HTML, display

    if section not in APPENDIX_SECTIONS:
        raise ValueError(f"no appendix section {section!r}: give one of {', '.join(APPENDIX_SECTIONS)}")
    words = "analysts' appendix"
    if words not in text:
        raise ValueError(f"the sentence must name the {words}: {text!r}")
    before, after = (html.escape(part, quote=False) for part in text.split(words, 1))
    link = f'<a href="{APPENDIX_PAGE}#{section}">{html.escape(words, quote=False)}</a>'
    display(HTML(f'<p class="cscbook-see-appendix">{before}{link}{after}</p>'))


def annotate_judgements(ax, judgements: pd.DataFrame, to_x=lambda d: d, label_y: float = 1.0) -> None:
    """Vertical lines at Ofsted publication dates, coloured by grade, each with the grade's marker at ``label_y``
    (axes fraction, the top edge by default); the grades are named once each in the legend ("Ofsted: Good"), not
    beside the lines, where judgements a year or two apart would write over each other."""
    named = set()
    for _, j in judgements.iterrows():
        x = to_x(j["date"])
        colour = GRADE_COLOURS.get(j["grade"], "#000000")
        label = f"Ofsted: {j['grade']}" if j["grade"] not in named else "_nolegend_"
        named.add(j["grade"])
        ax.axvline(x, color=colour, linestyle="--", linewidth=1.2, alpha=0.9)
        ax.plot([x], [label_y], transform=ax.get_xaxis_transform(), marker=GRADE_MARKERS.get(j["grade"], "o"),
                color=colour, markeredgecolor="black", markersize=8, clip_on=False, linestyle="--", label=label)


def note_below(ax, text: str, color: str = "#1a1a1a") -> None:
    """A note under the axes' x label, from the axes' left edge (a figure's caveat: illustrative data, councils
    not plotted), where it cannot write over the label."""
    ax.annotate(text, xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -4),
                textcoords="offset points", ha="left", va="top", fontsize="small", color=color)


def links(items: list[tuple[str, str]], part: str = "") -> None:
    """A bulleted list of generated sentences, each linking to its chapter page; ``part`` names the headline
    page's part the list shows (``data-part``, which the committee paper reads, e.g. "decide")."""
    from IPython.display import HTML, display

    lis = []
    for text, chapter in items:
        lis.append(f'<li>{_marked_up(text)} <a href="{html.escape(chapter)}.html">See the {html.escape(chapter)} chapter.</a></li>')
    attr = f' data-part="{html.escape(part)}"' if part else ""
    display(HTML(f'<ul class="cscbook-headlines"{attr}>' + "".join(lis) + "</ul>"))
