"""The committee paper: a PDF of the headlines, scorecard, timeline and forecast pages of a built edition,
printed on A4 by headless Chromium (Playwright) with the print stylesheet, the council, edition and date and a
page number on every page. The four chapters are printed as one document, each from a new sheet."""

from __future__ import annotations

import functools
import html
import http.server
import re
import threading
import uuid
from pathlib import Path

from cscbook.core import atomic
from cscbook.core.errors import CSCBookError
from cscbook.core.quarters import Quarter
from cscbook.report import browser as browsers
from cscbook.report.datapack import document_date
from cscbook.report.papercover import _SEE_CHAPTER, _footer, cover_html, summary_html

PAGES = ["summary", "scorecard", "timeline", "forecast"]
FILENAME = "committee-paper.pdf"
#: a chapter in the book's pages: its print heading (title and contents, shown on paper only) and its article;
#: in any other page, its body
_CHAPTER = re.compile(r'<div id="jb-print-docs-body".*?</article>', re.S)
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves an edition's pages to the browser, saying nothing, and letting it keep nothing: one browser prints
    many editions, and a later edition served on a port an earlier one used must not be read from its cache."""

    def log_message(self, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def print_paper(html_dir: Path, meta: dict, ready=None, printer: Printer | None = None) -> Path | None:
    """Print the committee paper from an edition's built HTML (``html_dir`` holds ``notebooks/*.html``) to
    ``html_dir/committee-paper.pdf``; ``meta`` gives ``council``, ``quarter`` and optionally ``printed``.
    The chapters of :data:`PAGES` that exist are printed in book order as one document (:func:`paper_page`),
    its pages numbered through.

    ``printer``: the :class:`Printer` of a batch (its browser serves every edition); without it a browser is
    started for this paper alone. ``ready``, when given, is called once the browser is starting and waits for
    the pages: the browser then starts while the book is still compiling. It returns False when there are no
    pages to print (the book failed); nothing is printed and None is returned."""
    if printer is None:
        with Printer() as own:
            return own.print(html_dir, meta, ready)
    return printer.print(html_dir, meta, ready)


#: web leftovers that mean nothing on paper, removed from the printed chapters
_PRINT_TOC = re.compile(r'<div id="jb-print-toc">.*?</nav>\s*</div>', re.S)
_LEFTOVER_SENTENCE = re.compile(r"(?<=[>.:;!?])([^<>.]*?(?:Run the book with|\s--[a-z][\w-]*|[\w/-]+\.(?:md|ipynb|yml|csv)\b)"
                                r"[^<>]*?(?:\.(?=\s|<|$)|(?=<)))")
_PATH_PAREN = re.compile(r"\s*\((?:see )?[\w./-]+\.(?:md|ipynb|yml|csv)\)")
#: a link to the analysts' appendix, which the paper does not print: its words stay, naming the online edition
_APPENDIX_LINK = re.compile(r'<a href="appendix\.html#[\w-]*">(analysts(?:&#x27;|&#39;|\')) appendix</a>')


def strip_web_leftovers(page: str) -> str:
    """A chapter as it should read on paper: no contents blocks, no "See the … chapter" links, no file paths,
    no sentence on how to run the program, and no link to the analysts' appendix (not printed): its words name the
    online edition instead."""
    page = _PRINT_TOC.sub("", page)
    page = _SEE_CHAPTER.sub("", page)
    page = _PATH_PAREN.sub("", page)
    page = _APPENDIX_LINK.sub(lambda m: f"{m.group(1)} appendix of the online edition", page)

    def body(match):  # only the words between tags: attributes, scripts and styles are left alone
        return "" if match.group(1).strip() else match.group(0)

    head, sep, rest = page.partition("<body")
    return _paper_sections(head + sep + _LEFTOVER_SENTENCE.sub(body, rest))


#: a table of this many columns or more is reflowed to the sheet (smaller type, cells wrapping between words)
WIDE_TABLE = 7


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


_NUMBER = re.compile(r"^[\d\-.,%+]{1,12}$")


def _said_once(table) -> None:
    """A column that repeats the same words on every row (``demand_basis``: the illustrative flag) is said once,
    in a note under the table, instead of on each row: its width goes to the other columns."""
    import lxml.html

    rows = table.xpath(".//tbody/tr")
    heads = table.xpath(".//thead/tr[1]/th")
    if len(rows) < 3 or not heads:
        return
    for col in reversed(range(len(heads))):
        cells = [r.xpath("./td|./th")[col] if len(r.xpath("./td|./th")) > col else None for r in rows]
        texts = {c.text_content().strip() if c is not None else None for c in cells}
        if len(texts) == 1 and None not in texts and len(next(iter(texts))) > 20:
            note = lxml.html.fragment_fromstring(
                f"<p class=\"cscbook-note\">{html.escape(heads[col].text_content().strip().replace('_', ' '))}, every row: "
                f"{html.escape(next(iter(texts)))}</p>")
            table.addnext(note)
            heads[col].getparent().remove(heads[col])
            for cell in cells:
                cell.getparent().remove(cell)


def _paper_sections(fragment: str) -> str:
    """The chapter's sections as printed: a section whose every output is online-only (``print-hide``) goes with
    its heading, so that no heading stands over nothing; tables of :data:`WIDE_TABLE` columns or more are
    marked to be reflowed to the sheet's width, their column names (``probability_over_capacity``) in words."""
    import lxml.html

    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for section in reversed(root.xpath("//section")):  # the deepest first
        hidden = [c for c in section.iter("div") if "tag_print-hide" in _classes(c)]
        shown = [c for c in section.iter("div") if "cell_output" in _classes(c)
                 and not any("tag_print-hide" in _classes(a) for a in c.iterancestors("div"))]
        if hidden and not shown and not section.xpath(".//section") and section.getparent() is not None:
            section.getparent().remove(section)
    for table in root.xpath('//div[contains(concat(" ", @class, " "), " cscbook-table ")]'):
        first = table.xpath(".//tr[1]")
        if first and len(first[0].xpath("./th|./td")) >= WIDE_TABLE:
            table.set("class", (table.get("class") or "") + " cscbook-paper-wide")
            _said_once(table)
        for td in table.xpath(".//td"):  # numbers and dates ("2019-07", "12,345") never wrap
            if _NUMBER.match(td.text_content().strip()):
                td.set("style", "white-space: nowrap !important")
        for th in table.xpath(".//th"):
            for node in th.iter():
                node.text = node.text.replace("_", " ") if node.text else node.text
                node.tail = node.tail.replace("_", " ") if node.tail and node is not th else node.tail
    return (root.text or "") + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def paper_page(pages: list[str], meta: dict | None = None, names: list[str] | None = None) -> str:
    """One HTML page holding the chapters ``pages`` (their HTML, in order), each starting a new sheet with its
    print heading (title and contents) as when printed alone: the first chapter's page (its head and the book's
    print stylesheet) with its heading and article replaced by every chapter's.
    One document lays out and prints in about two thirds of the time of four printed side by side.

    With ``meta`` (and ``names``, the chapters' names in :data:`PAGES`), the paper a clerk tables: a cover
    (:func:`cover_html`), a one-page executive summary (:func:`summary_html`), then the chapters without their
    web leftovers (:func:`strip_web_leftovers`)."""
    if not pages:
        raise ValueError("a committee paper needs at least one chapter")

    def content(page: str) -> tuple[int, int]:
        match = _CHAPTER.search(page)
        if match:
            return match.span()
        match = _BODY.search(page)
        if match:
            return match.span(1)
        raise ValueError("a chapter page has neither a print heading and article nor a body")

    spans = [content(page) for page in pages]
    paper = meta is not None
    new_sheet = ' style="break-before: page"'
    joined = "".join(f'<section class="cscbook-paper-chapter"{new_sheet if i or paper else ""}>'
                     f'{strip_web_leftovers(page[a:b]) if paper else page[a:b]}</section>'
                     for i, (page, (a, b)) in enumerate(zip(pages, spans)))
    if paper:
        by_name = dict(zip(names or PAGES, pages))
        joined = cover_html(meta) + summary_html(by_name) + joined
    start, end = spans[0]
    return pages[0][:start] + joined + pages[0][end:]


class Printer:
    """One headless Chromium (Playwright) that prints committee papers, kept for a whole batch of editions: a
    browser and a window started for each paper cost about a third of what printing it did. It runs in a thread
    of its own with its own event loop; :meth:`print` may be called from several threads at once. Started by
    :meth:`start` (or the first :meth:`print`), so a batch that prints nothing starts no browser; a browser that
    has died is started again for the next paper. Close it with :meth:`close` (or use it as a context manager)."""

    #: seconds to wait for the browser to start, for a paper to print, and for the browser to close
    LAUNCH_TIMEOUT, PRINT_TIMEOUT, CLOSE_TIMEOUT = 120, 300, 30

    def __init__(self):
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="committee-paper", daemon=True)
        self._thread.start()
        self._lock = threading.Lock()
        self._browser = None  # a concurrent Future of (playwright, browser, context)
        self._closed = False

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _submit(self, coro):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _launch(self, executable: str):
        from playwright.async_api import async_playwright

        playwright = await async_playwright().start()
        try:
            browser = await playwright.chromium.launch(executable_path=executable, args=browsers.ARGS)
            # the pages print as they are written: the theme's scripts (search, navigation) play no part on paper
            context = await browser.new_context(java_script_enabled=False)
        except BaseException:
            await playwright.stop()
            raise
        return playwright, browser, context

    @staticmethod
    def _alive(started) -> bool:
        return not started.done() or (started.exception() is None and started.result()[1].is_connected())

    def start(self) -> None:
        """Start the browser in the background, if it is not started (or has died)."""
        executable = browsers.find_browser()  # looked up when called: tests stand in a machine without one
        if not executable:
            raise browsers.BrowserNotFound(
                f"the committee paper needs a Chromium-family browser: {browsers.HOW_TO_GET_A_BROWSER}")
        with self._lock:
            if self._closed:
                raise CSCBookError("the committee paper's printer was closed before this paper was printed")
            dead = self._browser if self._browser is not None and not self._alive(self._browser) else None
            if self._browser is None or dead is not None:
                self._browser = self._submit(self._launch(executable))
        if dead is not None:  # its processes, if any are left, are stopped outside the lock
            self._stop(dead)

    def print(self, html_dir: Path, meta: dict, ready=None) -> Path | None:
        """See :func:`print_paper`. A paper whose browser dies while it prints is printed again, once, in a
        browser started afresh."""
        self.start()
        if ready is not None and not ready():
            return None
        html_dir = Path(html_dir)
        out = html_dir / FILENAME
        names = [name for name in PAGES if (html_dir / "notebooks" / f"{name}.html").exists()]
        chapters = [html_dir / "notebooks" / f"{name}.html" for name in names]
        if not chapters:
            raise CSCBookError(f"no chapter of the committee paper ({', '.join(PAGES)}) in {html_dir / 'notebooks'}")
        # beside the chapters, so that its links, style sheets and images resolve as theirs do
        combined = html_dir / "notebooks" / f".paper-{uuid.uuid4().hex[:8]}.html"
        try:
            combined.write_text(paper_page([page.read_text(encoding="utf-8") for page in chapters], meta, names), encoding="utf-8")
            with atomic.replacing(out) as tmp:  # a unique temporary name: two printers never share it
                for attempt in (1, 2):
                    self.start()  # the browser may have died while the pages were built
                    with self._lock:
                        started = self._browser
                    try:
                        context = started.result(timeout=self.LAUNCH_TIMEOUT)[2]
                        self._submit(_print_page(context, html_dir, combined, tmp, meta)).result(
                            timeout=self.PRINT_TIMEOUT)
                        break
                    except Exception:
                        if attempt == 2 or self._alive(started):
                            raise
                reproducible_pdf(tmp, meta.get("quarter"))
        finally:
            combined.unlink(missing_ok=True)
        return out

    def _stop(self, started) -> None:
        """Close the browser of ``started`` (a launch, cancelled if it has not finished) and stop its driver."""
        async def stop(playwright, browser):
            try:
                await browser.close()
            finally:
                await playwright.stop()

        try:
            playwright, browser, _ = started.result(timeout=self.LAUNCH_TIMEOUT)
        except Exception:  # concurrent.futures.CancelledError is an Exception too
            started.cancel()  # a launch that failed, or never finished: nothing to close
            return
        try:
            self._submit(stop(playwright, browser)).result(timeout=self.CLOSE_TIMEOUT)
        except Exception:  # a browser that has died cannot be closed: its processes are gone
            pass

    def close(self) -> None:
        """Close the browser and stop the printer's thread (once the papers in hand are printed; a later
        :meth:`print` is refused). Closing twice does nothing more."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            started, self._browser = self._browser, None
        if started is not None:
            self._stop(started)

        async def cancel_the_rest():
            import asyncio

            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
            await self._loop.shutdown_asyncgens()

        try:
            self._submit(cancel_the_rest()).result(timeout=self.CLOSE_TIMEOUT)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=self.CLOSE_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()


async def _print_page(context, html_dir: Path, page_file: Path, pdf: Path, meta: dict) -> None:
    """Print ``page_file`` (inside ``html_dir``, served from there) to ``pdf`` on A4, in a tab of ``context``."""
    import asyncio
    import contextlib

    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{page_file.relative_to(html_dir).as_posix()}"
    try:
        page = await context.new_page()
        try:
            await page.goto(url, wait_until="load")
            await page.emulate_media(media="print")
            await page.pdf(path=str(pdf), format="A4", print_background=True, display_header_footer=True,
                           header_template="<div></div>", footer_template=_footer(meta),
                           margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                           prefer_css_page_size=True, tagged=True, outline=True)
        finally:
            with contextlib.suppress(Exception):  # a tab of a browser that has died is closed already
                await page.close()
    finally:  # off the loop: other papers print meanwhile
        await asyncio.to_thread(server.shutdown)
        server.server_close()


#: a link to the local server the paper was printed from (its port changes from print to print)
_LOCAL_URI = re.compile(r"^https?://(?:127\.0\.0\.1|localhost)(?::\d+)?/(.*)$")


def reproducible_pdf(path: Path, quarter: str | None) -> None:
    """Rewrite the PDF at ``path`` with fixed document dates, CreationDate and ModDate the end of the edition's
    ``quarter`` (see :func:`cscbook.report.datapack.document_date`), a file identifier digested from its pages, and
    links to the local page server made relative to the paper (which sits beside the pages), so that printing
    the same pages again gives the same bytes (the browser stamps the time, a random identifier and the
    server's passing port). Without a quarter the file is left as it is."""
    import hashlib
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

    if not quarter:
        return
    stamp = document_date(Quarter.parse(str(quarter))).strftime("D:%Y%m%d%H%M%S+00'00'")
    path = Path(path)
    writer = PdfWriter(clone_from=PdfReader(path))
    writer.add_metadata({"/CreationDate": stamp, "/ModDate": stamp})
    for page in writer.pages:  # links to the page server's passing port become links relative to the paper
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            local = _LOCAL_URI.match(str(uri)) if uri is not None else None
            if local:
                action.get_object()[NameObject("/URI")] = TextStringObject(local.group(1))
    digest = hashlib.md5(usedforsecurity=False)
    for page in writer.pages:
        digest.update(page.get_contents().get_data() if page.get_contents() is not None else b"")
    ident = ByteStringObject(digest.digest())
    writer._ID = ArrayObject([ident, ident])  # pypdf keeps the identifier it cloned there
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
