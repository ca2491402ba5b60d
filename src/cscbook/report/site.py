"""Publishing: the site ``_build/html`` with an index of editions (grouped by region, searchable) and a copy of
each edition's pages. Editions built in several output folders (one per CI runner) merge into one site.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import uuid
from pathlib import Path

from cscbook.core import paths
from cscbook.core.errors import CSCBookError
from cscbook.core.inputs import excerpt
from cscbook.core.locks import exclusive
from cscbook.data.register import register

# a pattern that starts with "<" is searched for quickly (one with the white space before it, 25 times slower)
_THEBE = re.compile(r'<script>const THEBE_JS_URL[^<]*</script>|<script[^>]*sphinx-thebe\.js[^>]*></script>'
                    r'|<link[^>]*sphinx-thebe\.css[^>]*/>')


def _drop_thebe(text: str) -> str:
    """``text`` without the live-code scripts and style sheet, nor the white space before each."""
    kept, last = [], 0
    for match in _THEBE.finditer(text):
        kept.append(text[last:match.start()].rstrip())
        last = match.end()
    kept.append(text[last:])
    return "".join(kept)

# Accessible names that differ from the visible text (WCAG 2.5.3, label in name): let the text name them.
_LABELS = [
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    ('class="btn search-button-field search-button__button pst-js-only" title="Search" aria-label="Search"',
     'class="btn search-button-field search-button__button pst-js-only" title="Search"'),
]

_THEME_ICON = re.compile(r'(<i class="theme-switch [^"]*" data-mode="[a-z]+")\s+title="[^"]*"')


def postprocess_site(html_dir: Path) -> None:
    """Remove the live-code (thebe) scripts Jupyter Book 1 always injects (the book has no live code; they point
    at an external CDN and declare THEBE_JS_URL twice, a console error), and fix the theme's accessible names."""
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cleaned = _drop_thebe(text)
        for old, new in _LABELS:
            cleaned = cleaned.replace(old, new)
        cleaned = _THEME_ICON.sub(r'\1 aria-hidden="true"', cleaned)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


def built_editions(editions_dirs: Path | list[Path]) -> list[dict]:
    """Every complete edition in the given ``editions/`` folders: its edition.json plus ``folder`` (the slug)
    and ``path``. Where the same edition was built in several folders, the one built last wins."""
    found: dict[str, dict] = {}
    for editions in ([editions_dirs] if isinstance(editions_dirs, Path) else editions_dirs):
        for meta_file in sorted(Path(editions).glob("*/edition.json")):
            if meta_file.parent.name.startswith("."):
                continue  # a build's staging folder (or a kept earlier edition): never published
            if not (meta_file.parent / "_build" / "html" / "index.html").exists():
                continue
            meta = _edition_meta(meta_file)
            meta["folder"] = meta_file.parent.name
            meta["path"] = str(meta_file.parent)
            meta["mtime"] = meta_file.stat().st_mtime
            if meta["folder"] not in found or meta["mtime"] >= found[meta["folder"]]["mtime"]:
                found[meta["folder"]] = meta
    return [found[k] for k in sorted(found)]


#: what edition.json must hold, as text, for an edition to be listed
_META_TEXT = ("la", "quarter", "council")


def _edition_meta(meta_file: Path) -> dict:
    """An edition's edition.json, checked: a mapping whose council, code and quarter are text; else one line."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise CSCBookError(f"{meta_file}: not a readable edition record ({reason}); rebuild that edition or "
                           "remove its folder") from None
    if not isinstance(meta, dict):
        raise CSCBookError(f"{meta_file}: not an edition record (a JSON object); rebuild that edition or remove "
                           "its folder")
    for key in _META_TEXT:
        if not isinstance(meta.get(key), str):
            raise CSCBookError(f"{meta_file}: {key!r} is {excerpt(meta.get(key))}, not text; rebuild that edition "
                               "or remove its folder")
    for key in ("region", "financial_quarter"):
        if key in meta and not isinstance(meta[key], str):
            meta.pop(key)
    return meta


def _region(meta: dict) -> str:
    if meta.get("region"):
        return meta["region"]

    reg = register()
    return str(reg.at[meta["la"], "region"]) if meta.get("la") in reg.index else "Other"


_SEARCH = """<script>
(function () {
  var box = document.getElementById("edition-filter");
  var count = document.getElementById("edition-count");
  function apply() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    document.querySelectorAll("section.region").forEach(function (section) {
      var visible = 0;
      section.querySelectorAll("li").forEach(function (li) {
        var text = li.textContent.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        li.hidden = !match;
        if (match) { visible += 1; }
      });
      section.hidden = visible === 0;
      shown += visible;
    });
    count.textContent = shown + (shown === 1 ? " edition" : " editions") + " shown";
  }
  box.addEventListener("input", apply);
  apply();
})();
</script>"""


#: the index's look: the book theme's fonts and colours (pydata-sphinx-theme's system font stack, its text and
#: link colours), written into the page so that it makes no request of its own
_STYLE = """<style>
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Helvetica Neue", Arial, sans-serif;
       color: #222832; background: #fff; margin: 0; line-height: 1.5; }
header.site { background: #f3f4f5; border-bottom: 1px solid #d1d5da; padding: 1rem 2rem; }
header.site h1 { font-size: 1.6rem; margin: 0; }
main { max-width: 80rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #d1d5da; padding-bottom: 0.2rem; }
ul.cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.75rem;
           grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); }
ul.cards li { border: 1px solid #d1d5da; border-radius: 0.4rem; padding: 0.6rem 0.8rem; background: #fff; }
ul.cards li a { color: #0a7d91; font-weight: 600; text-decoration: none; font-size: 1.05rem; }
ul.cards li a:hover, ul.cards li a:focus { text-decoration: underline; }
ul.cards .facts { display: block; color: #48566b; font-size: 0.9rem; }
ul.cards .warning { display: block; color: #a0350a; font-weight: 600; font-size: 0.9rem; }
input[type=search] { font: inherit; padding: 0.25rem 0.5rem; border: 1px solid #8a95a5; border-radius: 0.25rem; }
</style>"""


def _built_on(meta: dict) -> str:
    """The day an edition was built, from its record's time (ISO date), or "" when unknown."""
    from datetime import datetime, timezone

    stamp = meta.get("mtime")
    return datetime.fromtimestamp(stamp, timezone.utc).date().isoformat() if isinstance(stamp, (int, float)) else ""


def index_html(rows: list[dict]) -> str:
    """The editions index, styled like the book: one section per region (alphabetical), a card per edition naming
    its council, quarter and build date, and a search box filtering the cards in the page."""
    e = html.escape
    by_region: dict[str, list[dict]] = {}
    for meta in rows:
        by_region.setdefault(_region(meta), []).append(meta)
    sections = []
    for region in sorted(by_region):
        items = []
        for meta in sorted(by_region[region], key=lambda m: (m.get("council", ""), m.get("quarter", ""))):
            fq = meta.get("financial_quarter")
            built = _built_on(meta)
            items.append(
                f'<li><a href="editions/{e(meta["folder"])}/index.html">'
                f'{e(meta.get("council", meta["folder"]))} ({e(meta.get("la", ""))})</a>'
                f'<span class="facts">Calendar quarter {e(meta.get("quarter", ""))}'
                f'{" (financial year " + e(fq) + ")" if fq else ""}</span>'
                f'<span class="facts">{"Built " + e(built) if built else "Build date not recorded"}</span>'
                f'{"<span class=warning>NOT FOR PUBLICATION: disclosure control off</span>" if meta.get("disclosure") == "off" else ""}'
                '</li>'
            )
        rid = "region-" + re.sub(r"[^a-z0-9]+", "-", region.lower()).strip("-")
        sections.append(f'<section class="region" aria-labelledby="{rid}"><h2 id="{rid}">{e(region)}</h2>'
                        f'<ul class="cards">{"".join(items)}</ul></section>')
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Editions: children's social care "
        "report book</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" + _STYLE +
        "</head><body><header class=\"site\"><h1>Children's social care report book: editions</h1></header>"
        "<main><p>Each edition is built for one council and "
        "one calendar quarter, from the data published by the end of that quarter. Editions are grouped by "
        "region.</p>"
        '<p><label for="edition-filter">Find an edition (council, code, region or quarter)</label> '
        '<input type="search" id="edition-filter" autocomplete="off"> '
        f'<span id="edition-count" aria-live="polite">{len(rows)} editions</span></p>'
        + "".join(sections) + "</main>" + _SEARCH + "</body></html>\n"
    )


def _link_or_copy(src: str, dst: str) -> None:
    """A file of an edition into the site: a hard link where the file system allows (a national site holds
    hundreds of editions; an edition's files are never rewritten in place, a rebuild replaces its folder), else
    a copy. Only a regular file is taken, never a link (nor what a link points to)."""
    import stat

    if not stat.S_ISREG(os.lstat(src).st_mode):
        return
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _only_regular(folder: str, names: list[str]) -> list[str]:
    """Names copytree leaves out: anything but regular files and real folders (symbolic links, devices, pipes)."""
    import stat

    skip = []
    for name in names:
        try:
            mode = os.lstat(os.path.join(folder, name)).st_mode
        except OSError:
            skip.append(name)
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            skip.append(name)
    return skip


def publish_site(editions_dirs: Path | list[Path], site: Path) -> Path:
    """Write ``site`` (a ``_build/html`` folder): the index of editions and a copy of each edition's pages.

    The new site is assembled beside the old one and swapped in; concurrent publishers take turns.
    """
    site.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(site.parent / ".site.lock"):
        # the repository's own _build/html is a build folder by convention (jupyter-book writes there too)
        repository_site = site.resolve() == (paths.repo_root() / "_build" / "html").resolve()
        if site.is_symlink() or not (is_our_site(site) or repository_site):
            raise CSCBookError(f"{site}: holds files cscbook did not publish, which publishing would replace; move "
                               "them or give another --output")
        tmp = site.parent / f".html-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            rows = built_editions(editions_dirs)
            for meta in rows:
                source = Path(meta["path"]) / "_build" / "html"
                if source.is_symlink():
                    continue  # an edition's pages are a folder the build made, never a link
                shutil.copytree(source, tmp / "editions" / meta["folder"], symlinks=True,
                                ignore=_only_regular, copy_function=_link_or_copy)
            (tmp / "index.html").write_text(index_html(rows), encoding="utf-8")
            (tmp / SITE_MARKER).write_text("published by cscbook\n")
            if site.exists():
                old = site.parent / f".old-{uuid.uuid4().hex[:8]}"
                os.replace(site, old)
                os.replace(tmp, site)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, site)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return site


def site_lists(site: Path, slugs: list[str]) -> bool:
    """Whether ``site`` already lists and holds every edition in ``slugs`` (so it need not be rebuilt)."""
    index = site / "index.html"
    if not index.exists():
        return False
    text = index.read_text(encoding="utf-8")
    return all(f"editions/{s}/index.html" in text and (site / "editions" / s / "index.html").exists() for s in slugs)


#: the file a build leaves in its --output folder (and the site in its _build/html): a folder carrying it is a
#: cscbook output, whose editions/ and _build/html a later build may replace
OUTPUT_MARKER = ".cscbook-output"


SITE_MARKER = ".cscbook-site"


#: the site's index title: a site published before the marker existed is recognised by it
SITE_TITLE = "Children's social care report book: editions"


def is_our_site(site: Path) -> bool:
    """Whether ``site`` (a ``_build/html`` folder) is missing, empty or a site cscbook published."""
    if not site.is_dir() or not any(site.iterdir()):
        return True
    if (site / SITE_MARKER).is_file():
        return True
    index = site / "index.html"
    try:
        return index.is_file() and SITE_TITLE in index.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
