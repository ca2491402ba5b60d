"""Browser test of a built edition: served on 127.0.0.1 and opened in headless Chromium (Playwright).

The checks live here; each council's test file (test_site_*.py) imports them with its own ``council`` fixture, so
parallel workers can take the two councils side by side.

Every page loads with no console errors and no request leaving 127.0.0.1, every image has alt text, key numbers
appear, and the navigation reaches every chapter. Needs Debian's chromium (installed by .ci/run); skipped
locally without it unless CSCBOOK_REQUIRE_BROWSER=1, as CI sets.
"""

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

from cscbook.report.browser import ARGS, chromium  # the browser, and the arguments, the committee paper is printed with

CHROMIUM = chromium()
REQUIRE = os.environ.get("CSCBOOK_REQUIRE_BROWSER") == "1"
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"

if not CHROMIUM and not REQUIRE:
    pytest.skip("chromium is not installed (CI installs it; set CSCBOOK_REQUIRE_BROWSER=1 to fail instead)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site(council, tmp_path_factory):
    """The latest edition of the test file's council, built and served on 127.0.0.1."""
    from cscbook.build import batch as build_module
    from cscbook.build.context import BuildContext

    ctx = BuildContext.create(tmp_path_factory.mktemp("site"))
    dest = build_module.build(ctx, ctx.edition(council), log=lambda m: None)
    root = ctx.site_dir
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}", dest.name
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


#: the first council's edition is checked page by page; the narrative chapters and the source documents are
#: written from the same files in every edition, so in the second council's edition the page-by-page checks
#: cover the pages its own data fill (the chapters, the edition's page and colophon, the index)
FIRST = "825"
#: a common laptop screen: every page is opened at this size, and its tables must fit it
VIEWPORT = {"width": 1366, "height": 900}
LEADERSHIP = ["summary", "timeline", "demand", "scorecard", "forecast"]
OWN_PAGES = ("/notebooks/", "/book/this_edition.html", "/book/colophon.html", "/index.html")


def checked(pages: list[str], slug: str) -> list[str]:
    """The pages of an edition to check one by one (see OWN_PAGES)."""
    if slug.startswith(FIRST + "-"):
        return pages
    return [p for p in pages if not p.startswith("editions/") or any(o in "/" + p.split("/", 2)[2] for o in OWN_PAGES)]


class Tab:
    """One browser page for many visits, each with its own console errors and requests leaving 127.0.0.1:
    opening a fresh page for every visit took most of a crawl's time."""

    def __init__(self, browser):
        self.page = browser.new_page(viewport=VIEWPORT)
        self.errors, self.external = [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.external.append(r.url)
                     if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    def visit(self, url):
        self.errors, self.external = [], []
        self.page.goto(url, wait_until="load")
        return self.page, self.errors, self.external


def visit(browser, url):
    """A new page at ``url``, with its console errors and requests leaving 127.0.0.1."""
    return Tab(browser).visit(url)


def chapter_facts(page) -> dict:
    """What the checks of a leadership chapter read from its page: its figures (and the
    judgements the timeline chart plots), each table with its download link, headings and rows, the tables that
    overflow the main column, whether the page scrolls sideways, and how far the first table's box scrolls."""
    return {
        "figures": page.eval_on_selector_all("figure img", "imgs => imgs.length"),
        "judgements": page.eval_on_selector_all("figure[data-judgements]", "fs => fs.map(f => f.dataset.judgements)"),
        "tables": page.eval_on_selector_all("div.cscbook-table", """boxes => boxes.map(b => {
                const link = b.parentElement.querySelector('p.cscbook-download a');
                return {href: link ? link.getAttribute('href') : null, split: link ? link.dataset.fields === 'split' : false,
                        heads: [...b.querySelectorAll('thead th')].map(t => t.innerText.trim()),
                        rows: [...b.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(d => d.innerText.trim()))};
            })"""),
        # each table sits in its own scrolling box, which must stay inside the page's main column
        "overflowing": page.eval_on_selector_all("div.cscbook-table", """boxes => boxes.filter(b => {
            const main = document.querySelector('main').getBoundingClientRect();
            return b.getBoundingClientRect().right > main.right + 1;
        }).length"""),
        "fits_width": page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"),
        "first_table_spare": page.evaluate(
            "(() => { const b = document.querySelector('div.cscbook-table'); return b ? b.scrollWidth - b.clientWidth : null; })()"),
        "quote_link": page.evaluate(
            "(() => { const a = document.querySelector(\"a[href*='book/sources/'][href*='#quote-']\"); return a ? a.getAttribute('href') : null; })()"),
    }


@pytest.fixture(scope="module")
def crawl(site, browser):
    """Every page to check (see ``checked``), visited once at the VIEWPORT size: its console errors, requests
    leaving 127.0.0.1, images without alt text, axe-core's serious or critical violations (content pages), what
    the code toggles and main text show, and for the leadership chapters :func:`chapter_facts`. The page checks
    below read from it."""
    root, base, slug = site
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                   if "/_static/" not in p.as_posix() and "/_sources/" not in p.as_posix())
    found = {}
    tab = Tab(browser)
    for rel in checked(pages, slug):
        text = (root / rel).read_text()
        if 'http-equiv="Refresh"' in text or 'http-equiv="refresh"' in text:
            continue  # Jupyter Book's redirect from index.html to the first page
        page, errors, external = tab.visit(f"{base}/{rel}")
        seen = {"errors": list(errors), "external": list(external),
                "missing_alt": page.eval_on_selector_all(
                    "img", "imgs => imgs.filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src.slice(0, 60))"),
                "toggles": page.eval_on_selector_all(
                    "main .toggle-details, main details.hide-input, main .cell_input, main button.toggle-button",
                    "els => els.map(e => (e.innerText || e.className).slice(0, 60))"),
                "main": page.inner_text("main") if page.query_selector("main") else ""}
        if rel.startswith(f"editions/{slug}/notebooks/") and Path(rel).stem in LEADERSHIP:
            seen.update(chapter_facts(page))
        content = rel.startswith(f"editions/{slug}/") and Path(rel).name not in ("index.html", "search.html", "genindex.html")
        if content and AXE.exists():
            page.add_script_tag(path=str(AXE))
            seen["axe"] = page.evaluate(
                "async () => (await axe.run(document, {runOnly: {type: 'tag', values: " + WCAG + "}, "
                "resultTypes: ['violations']})).violations"
                ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))")
        found[rel] = seen
    tab.page.close()
    return pages, found


def test_every_page_loads_clean_with_alt_text(site, crawl):
    root, base, slug = site
    pages, found = crawl
    assert f"editions/{slug}/index.html" in pages and len(pages) >= 12
    assert len(found) >= (12 if slug.startswith(FIRST + "-") else 8)
    for rel, seen in found.items():
        assert seen["errors"] == [], (rel, seen["errors"])
        assert seen["external"] == [], (rel, seen["external"])
        assert seen["missing_alt"] == [], (rel, seen["missing_alt"])


def chapter(crawl, slug: str, name: str) -> dict:
    return crawl[1][f"editions/{slug}/notebooks/{name}.html"]


def test_key_numbers_and_navigation(site, crawl, browser):
    root, base, slug = site
    text = chapter(crawl, slug, "summary")["main"]
    if slug.startswith("825"):
        assert "5,518 referrals" in text  # DfE C1: Buckinghamshire, year to March 2025
        assert "Requires improvement" in text
        assert "08 Aug 2014" in chapter(crawl, slug, "timeline")["main"]
    else:
        assert "West Sussex received" in text
    # the edition's address opens its first page, whose navigation reaches every chapter
    page, _, _ = visit(browser, f"{base}/editions/{slug}/index.html")
    page.wait_for_load_state("load")
    page.wait_for_selector("nav a")
    hrefs = page.eval_on_selector_all("nav a", "as => as.map(a => a.getAttribute('href'))")
    page.close()
    for name in ["summary", "timeline", "demand", "scorecard", "forecast"]:
        assert any(h and re.search(rf"notebooks/{name}\.html", h) for h in hrefs), name
    assert chapter(crawl, slug, "demand")["figures"] + chapter(crawl, slug, "forecast")["figures"] >= 10
    assert "ILLUSTRATIVE" in chapter(crawl, slug, "forecast")["main"]
    assert "index.html" in crawl[1] and slug in (root / "index.html").read_text()  # the site's index lists it


def test_accessibility_axe_core(site, crawl):
    """axe-core (WCAG 2.1 A and AA rules) finds no serious or critical violation on any content page."""
    if not AXE.exists():
        if REQUIRE:
            pytest.fail("axe-core is not installed: run make test (it installs it with npm)")
        pytest.skip("axe-core is not installed (npm not available)")
    root, base, slug = site
    checked_by_axe = {rel: seen["axe"] for rel, seen in crawl[1].items() if "axe" in seen}
    assert len(checked_by_axe) >= (10 if slug.startswith(FIRST + "-") else 7)
    assert {rel: v for rel, v in checked_by_axe.items() if v} == {}


def test_leadership_pages_have_no_code(site, crawl):
    root, base, slug = site
    for chapter in LEADERSHIP:
        seen = crawl[1][f"editions/{slug}/notebooks/{chapter}.html"]
        assert seen["toggles"] == [], (chapter, seen["toggles"])
        assert "Show code cell source" not in seen["main"], chapter


def test_every_official_judgement_is_in_the_timeline_chart(site, crawl):
    from cscbook.build.context import make_edition
    from cscbook.data.timeline import timeline
    from cscbook.report.charts import graded_judgements

    root, base, slug = site
    ed = make_edition(slug[:3], None)
    expected = {f"{d:%Y-%m-%d}|{g}" for d, g in zip(*[graded_judgements(timeline(ed.council.code, ed.quarter))[c]
                                                     for c in ("date", "grade")])}
    if ed.council.code == "825":
        assert {"2014-08-08|Inadequate", "2018-01-29|Inadequate"} <= expected  # Ofsted: the two SIF judgements
    assert expected
    shown = chapter(crawl, slug, "timeline")["judgements"]
    assert shown and set(shown[0].split(";")) == expected


def _unformatted(text: str) -> str:
    """A page cell as the CSV holds it: a number without thousands separators."""
    import re

    return text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) else text


def test_download_links_resolve_and_read_back_to_the_table(site, crawl):
    import base64
    import io

    import pandas as pd

    root, base, slug = site
    checked = 0
    for name in LEADERSHIP:
        for t in chapter(crawl, slug, name)["tables"]:
            assert t["href"] and t["href"].startswith("data:text/csv;charset=utf-8;base64,"), name
            csv = pd.read_csv(io.StringIO(base64.b64decode(t["href"].split(",", 1)[1]).decode("utf-8")), dtype=str,
                              keep_default_na=False)
            if t["split"]:  # the download keeps apart fields the page joins ("26 of 153"): the shared columns agree
                assert len(csv) == len(t["rows"]), name
                shared = [h for h in t["heads"] if h in csv.columns]
                assert len(shared) >= 3, name
                for h in shared:
                    i = t["heads"].index(h)
                    assert [" ".join(v.split()) for v in csv[h]] == \
                        [_unformatted(" ".join(r[i].split())) for r in t["rows"]], (name, h)
                checked += 1
                continue
            assert list(csv.columns) == t["heads"], name
            # the CSV holds numbers as numbers: the page's 5,518 is 5518 in the file
            assert [[" ".join(v.split()) for v in r] for r in csv.values.tolist()] == \
                [[_unformatted(" ".join(v.split())) for v in r] for r in t["rows"]], name
            checked += 1
    assert checked >= 8


def test_no_table_overflows_the_page_at_1366px(site, crawl):
    root, base, slug = site
    assert VIEWPORT["width"] == 1366
    for name in LEADERSHIP:
        facts = chapter(crawl, slug, name)
        assert facts["overflowing"] == 0, name
        assert facts["fits_width"], name
    # every column of the scorecard is on screen, "Against England" included: its box does not scroll
    spare = chapter(crawl, slug, "scorecard")["first_table_spare"]
    assert spare is not None and spare <= 8, spare


def test_source_pages_highlight_the_quotes(site, crawl, browser):
    root, base, slug = site
    pages = sorted((root / "editions" / slug / "book" / "sources").glob("*.html"))
    assert pages, "the build writes a page per source document"
    link = chapter(crawl, slug, "timeline")["quote_link"]
    assert link
    page, _, _ = visit(browser, f"{base}/editions/{slug}/notebooks/{link}")
    anchor = link.split("#")[1]
    assert page.eval_on_selector(f"mark#{anchor}", "m => m.innerText.length") > 20
    page.close()


def test_committee_paper_pdf(site):
    from pypdf import PdfReader

    root, base, slug = site
    pdfs = list((root / "editions" / slug).glob("*.pdf"))
    assert [p.name for p in pdfs] == ["committee-paper.pdf"]
    reader = PdfReader(str(pdfs[0]))
    assert 3 <= len(reader.pages) <= 80
    text = " ".join(p.extract_text() for p in reader.pages)
    if slug.startswith("825"):
        assert "5,518" in text and "Buckinghamshire" in text
    else:
        assert "West Sussex" in text
