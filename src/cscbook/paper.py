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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _footer(meta: dict) -> str:
    text = html.escape(f"{meta.get('council', '')} · edition {meta.get('quarter', '')} · "
                       f"printed {meta.get('printed', date.today().isoformat())}")
    return ('<div style="font-size:8px;width:100%;padding:0 12mm;display:flex;justify-content:space-between;'
            f'color:#333"><span>{text}</span><span>Page <span class="pageNumber"></span> of '
            '<span class="totalPages"></span></span></div>')


def print_paper(html_dir: Path, meta: dict) -> Path:
    """Print the committee paper from an edition's built HTML (``html_dir`` holds ``notebooks/*.html``) to
    ``html_dir/committee-paper.pdf``; ``meta`` gives ``council``, ``quarter`` and optionally ``printed``.
    Each chapter is printed, then the parts are joined (pypdf) and numbered in the footer per chapter."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise CSCBookError("the committee paper needs Debian's chromium: install it (apt-get install chromium)")
    html_dir = Path(html_dir)
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out = html_dir / FILENAME
    tmp = out.with_suffix(".pdf.tmp")
    writer = PdfWriter()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            # the pages print as they are written: the theme's scripts (search, navigation) play no part on paper
            context = browser.new_context(java_script_enabled=False)
            for name in PAGES:
                if not (html_dir / "notebooks" / f"{name}.html").exists():
                    continue
                page = context.new_page()
                page.goto(f"{base}/notebooks/{name}.html", wait_until="load")
                page.emulate_media(media="print")
                part = html_dir / f".{name}.pdf.tmp"
                page.pdf(path=str(part), format="A4", print_background=True, display_header_footer=True,
                         header_template="<div></div>", footer_template=_footer(meta),
                         margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
                writer.append(str(part))
                part.unlink()
                page.close()
            browser.close()
        with open(tmp, "wb") as fh:
            writer.write(fh)
        os.replace(tmp, out)
    finally:
        server.shutdown()
        if tmp.exists():
            tmp.unlink()
    return out
