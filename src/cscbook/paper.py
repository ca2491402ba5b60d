"""The committee paper: a PDF of the headlines, scorecard, timeline and forecast pages of a built edition,
printed on A4 by headless Chromium (Playwright) with the print stylesheet, the council, edition and date and a
page number on every page."""

from __future__ import annotations

import functools
import html
import http.server
import os
import shutil
import threading
from datetime import date
from pathlib import Path

from .errors import CSCBookError

PAGES = ["summary", "scorecard", "timeline", "forecast"]
FILENAME = "committee-paper.pdf"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    """Debian's chromium (the browser the paper is printed with and the site tests drive), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves an edition's pages to the browser, saying nothing, and letting it keep nothing: one browser prints
    many editions, and a later edition served on a port an earlier one used must not be read from its cache."""

    def log_message(self, *args) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def _footer(meta: dict) -> str:
    text = html.escape(f"{meta.get('council', '')} · edition {meta.get('quarter', '')} · "
                       f"printed {meta.get('printed', date.today().isoformat())}")
    return ('<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
            f'color:#333"><span>{text}</span><span>Page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


def print_paper(html_dir: Path, meta: dict, ready=None, printer: Printer | None = None) -> Path | None:
    """Print the committee paper from an edition's built HTML (``html_dir`` holds ``notebooks/*.html``) to
    ``html_dir/committee-paper.pdf``; ``meta`` gives ``council``, ``quarter`` and optionally ``printed``.
    Each chapter is printed in a tab of its own, the tabs side by side (Chromium lays each out in a process of
    its own), then the parts are joined in book order (pypdf), numbered in the footer per chapter.

    ``printer``: the :class:`Printer` of a batch (its browser serves every edition); without it a browser is
    started for this paper alone. ``ready``, when given, is called once the browser is starting and waits for
    the pages: the browser then starts while the book is still compiling. It returns False when there are no
    pages to print (the book failed); nothing is printed and None is returned."""
    if printer is None:
        with Printer() as own:
            return own.print(html_dir, meta, ready)
    return printer.print(html_dir, meta, ready)


class Printer:
    """One headless Chromium (Playwright) that prints committee papers, kept for a whole batch of editions: a
    browser started for each paper cost about as much as printing it. It runs in a thread of its own with its
    own event loop; :meth:`print` may be called from several threads at once. Started by :meth:`start` (or the
    first :meth:`print`), so a batch that prints nothing starts no browser; a browser that has died is started
    again for the next paper. Close it with :meth:`close` (or use it as a context manager)."""

    def __init__(self):
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="committee-paper", daemon=True)
        self._thread.start()
        self._lock = threading.Lock()
        self._browser = None  # a concurrent Future of (playwright, browser, context)

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
            browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
            # the pages print as they are written: the theme's scripts (search, navigation) play no part on paper
            context = await browser.new_context(java_script_enabled=False)
        except BaseException:
            await playwright.stop()
            raise
        return playwright, browser, context

    def start(self) -> None:
        """Start the browser in the background, if it is not started (or has died)."""
        executable = chromium()
        if not executable:
            raise CSCBookError("the committee paper needs Debian's chromium: install it (apt-get install chromium)")
        with self._lock:
            if self._browser is not None and self._browser.done():
                if self._browser.exception() is not None or not self._browser.result()[1].is_connected():
                    self._stop(self._browser)
                    self._browser = None
            if self._browser is None:
                self._browser = self._submit(self._launch(executable))

    def print(self, html_dir: Path, meta: dict, ready=None) -> Path | None:
        """See :func:`print_paper`."""
        from pypdf import PdfWriter

        self.start()
        if ready is not None and not ready():
            return None
        self.start()  # the browser may have died while the pages were built
        with self._lock:
            started = self._browser
        context = started.result()[2]
        html_dir = Path(html_dir)
        out = html_dir / FILENAME
        tmp = out.with_suffix(".pdf.tmp")
        parts: list[Path] = []
        try:
            self._submit(_print_parts(context, html_dir, parts, meta)).result()
            writer = PdfWriter()
            for part in parts:
                writer.append(str(part))
            with open(tmp, "wb") as fh:
                writer.write(fh)
            os.replace(tmp, out)
        finally:
            for path in [tmp, *parts]:
                if path.exists():
                    path.unlink()
        return out

    def _stop(self, started) -> None:
        async def stop(playwright, browser):
            try:
                await browser.close()
            finally:
                await playwright.stop()

        if started.done() and started.exception() is None:
            playwright, browser, _ = started.result()
            try:
                self._submit(stop(playwright, browser)).result(timeout=30)
            except Exception:  # a browser that has died cannot be closed: its processes are gone
                pass

    def close(self) -> None:
        """Close the browser and stop the printer's thread."""
        with self._lock:
            started, self._browser = self._browser, None
        if started is not None:
            try:
                started.result(timeout=60)
            except Exception:
                pass
            self._stop(started)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self._loop.close()


async def _print_parts(context, html_dir: Path, parts: list[Path], meta: dict) -> None:
    """Print each chapter of :data:`PAGES` in ``html_dir`` to a PDF file beside it (appended to ``parts``, in
    book order), all pages at once, in tabs of the browser ``context``."""
    import asyncio

    names = [name for name in PAGES if (html_dir / "notebooks" / f"{name}.html").exists()]
    parts.extend(html_dir / f".{name}.pdf.tmp" for name in names)
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    async def one(name: str, part: Path) -> None:
        page = await context.new_page()
        try:
            await page.goto(f"{base}/notebooks/{name}.html", wait_until="load")
            await page.emulate_media(media="print")
            await page.pdf(path=str(part), format="A4", print_background=True, display_header_footer=True,
                           header_template="<div></div>", footer_template=_footer(meta),
                           margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
        finally:
            await page.close()

    try:  # every tab finishes (or fails) before the parts are joined or cleared away
        failures = [r for r in await asyncio.gather(*(one(name, part) for name, part in zip(names, parts)),
                                                    return_exceptions=True) if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
    finally:
        server.shutdown()
        server.server_close()
