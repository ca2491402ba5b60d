"""Finding a Chromium-family browser to print the committee paper with, wherever the machine has one, and fetching
Playwright's own where it has none and the network allows it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cscbook.core.errors import CSCBookError
from cscbook.core.settings import BROWSER_ENV

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]




#: how to get a browser, said wherever the paper could not be printed for want of one
HOW_TO_GET_A_BROWSER = ("install Chromium, Google Chrome or Microsoft Edge, or run "
                        "'.venv/bin/python -m playwright install chromium', or set CSCBOOK_BROWSER to a "
                        "Chromium-family browser's path")


#: commands on the PATH, in order: Debian's chromium first
_ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge",
            "microsoft-edge-stable", "msedge")


#: the usual install places on macOS; on Windows each is below one of the program folders of :data:`_WINDOWS_ROOTS`
_MACOS = ("/Applications/Chromium.app/Contents/MacOS/Chromium",
          "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
          "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge")


_WINDOWS = ("Google/Chrome/Application/chrome.exe", "Chromium/Application/chrome.exe",
            "Microsoft/Edge/Application/msedge.exe")


_WINDOWS_ROOTS = ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")


#: Playwright's own download, inside its browsers folder (Linux, macOS and Windows layouts, newest first)
_PLAYWRIGHT = ("chromium-*/chrome-linux*/chrome", "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
               "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
               "chromium-*/chrome-win*/chrome.exe")


class BrowserNotFound(CSCBookError):
    """No Chromium-family browser: the committee paper cannot be printed."""


def _executable(path: str | Path) -> bool:
    path = Path(path)
    return path.is_file() and os.access(path, os.X_OK)


def _playwright_folders(environ) -> list[Path]:
    """Where Playwright keeps the browsers it downloads: ``PLAYWRIGHT_BROWSERS_PATH``, else its cache folder."""
    if environ.get("PLAYWRIGHT_BROWSERS_PATH") not in (None, "", "0"):
        return [Path(environ["PLAYWRIGHT_BROWSERS_PATH"])]
    home = Path(environ.get("HOME") or environ.get("USERPROFILE") or Path.home())
    folders = [home / ".cache" / "ms-playwright", home / "Library" / "Caches" / "ms-playwright"]
    if environ.get("LOCALAPPDATA"):
        folders.append(Path(environ["LOCALAPPDATA"]) / "ms-playwright")
    return folders


def find_browser(environ=None) -> str | None:
    """The Chromium-family browser the committee paper is printed with (and the site tests drive), or None.

    Looked for in this order: ``CSCBOOK_BROWSER`` (a path; an unusable one is an error, not passed over);
    Debian's ``chromium`` and the other Chromium, Chrome and Edge commands on the ``PATH``; Playwright's own
    download (``python -m playwright install chromium``); Chrome, Chromium and Edge at their usual places on
    macOS and Windows. ``environ``: the environment to read (default: this process's)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(BROWSER_ENV, "").strip()
    if explicit:
        found = shutil.which(explicit, path=environ.get("PATH")) or (explicit if _executable(explicit) else None)
        if not found:
            raise CSCBookError(f"{BROWSER_ENV}={explicit!r}: not an executable file; give the path of Chromium, "
                               "Chrome or Edge, or unset it to let the book look for one")
        return str(found)
    for name in _ON_PATH:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    for folder in _playwright_folders(environ):
        for pattern in _PLAYWRIGHT:
            for found in sorted(folder.glob(pattern), reverse=True):
                if _executable(found):
                    return str(found)
    candidates = list(_MACOS) + [str(Path(environ[root]) / rel) for root in _WINDOWS_ROOTS if environ.get(root)
                                  for rel in _WINDOWS]
    return next((c for c in candidates if _executable(c)), None)


def chromium() -> str | None:
    """The browser of :func:`find_browser` (kept for the site tests, which drive the same browser)."""
    return find_browser()


#: seconds ``install_browser`` lets Playwright try to download its Chromium (machines without the network fail fast
#: or at this limit, and the book is built without the paper)
INSTALL_TIMEOUT = 180


def install_browser(timeout: float = INSTALL_TIMEOUT) -> str | None:
    """The browser of :func:`find_browser`; where there is none, Playwright's own Chromium downloaded first
    (``python -m playwright install chromium``) when the network allows it. Says nothing and raises nothing
    when the download fails: the book is then built without its committee paper. Returns the browser or None."""
    import subprocess
    import sys

    found = find_browser()
    if found:
        return found
    try:
        subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        pass
    return find_browser()
