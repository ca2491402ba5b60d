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
    def log_message(self, *args) -> None:
        pass


def _footer(meta: dict) -> str:
    text = html.escape(f"{meta.get('council', '')} · edition {meta.get('quarter', '')} · "
                       f"printed {meta.get('printed', date.today().isoformat())}")
    return ('<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
            f'color:#333"><span>{text}</span><span>Page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


def print_paper(html_dir: Path, meta: dict, ready=None) -> Path | None:
    """Print the committee paper from an edition's built HTML (``html_dir`` holds ``notebooks/*.html``) to
    ``html_dir/committee-paper.pdf``; ``meta`` gives ``council``, ``quarter`` and optionally ``printed``.
    Each chapter is printed in a tab of its own, the tabs side by side (Chromium lays each out in a process of
    its own), then the parts are joined in book order (pypdf), numbered in the footer per chapter.

    ``ready``, when given, is called once the browser has started and waits for the pages: the browser then
    starts while the book is still compiling. It returns False when there are no pages to print (the book
    failed); nothing is printed and None is returned."""
    import asyncio

    from pypdf import PdfWriter

    browser = chromium()
    if not browser:
        raise CSCBookError("the committee paper needs Debian's chromium: install it (apt-get install chromium)")
    html_dir = Path(html_dir)
    out = html_dir / FILENAME
    tmp = out.with_suffix(".pdf.tmp")
    parts: list[Path] = []
    try:
        if not asyncio.run(_print_parts(browser, html_dir, parts, meta, ready)):
            return None
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


async def _print_parts(executable: str, html_dir: Path, parts: list[Path], meta: dict, ready=None) -> bool:
    """Print each chapter of :data:`PAGES` in ``html_dir`` to a PDF file beside it (appended to ``parts``, in
    book order), all pages at once, once ``ready`` (if given) returns True; False if it returns False."""
    import asyncio

    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            if ready is not None and not await asyncio.to_thread(ready):
                return False
            names = [name for name in PAGES if (html_dir / "notebooks" / f"{name}.html").exists()]
            parts.extend(html_dir / f".{name}.pdf.tmp" for name in names)
            handler = functools.partial(_QuietHandler, directory=str(html_dir))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_address[1]}"
            # the pages print as they are written: the theme's scripts (search, navigation) play no part on paper
            context = await browser.new_context(java_script_enabled=False)

            async def one(name: str, part: Path) -> None:
                page = await context.new_page()
                await page.goto(f"{base}/notebooks/{name}.html", wait_until="load")
                await page.emulate_media(media="print")
                await page.pdf(path=str(part), format="A4", print_background=True, display_header_footer=True,
                               header_template="<div></div>", footer_template=_footer(meta),
                               margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
                await page.close()

            try:
                await asyncio.gather(*(one(name, part) for name, part in zip(names, parts)))
            finally:
                server.shutdown()
            return True
        finally:
            await browser.close()
