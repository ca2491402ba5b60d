"""The committee paper's browser, wherever one is: found on any machine (Debian's chromium, Chrome or Edge,
Playwright's own download, an explicit CSCBOOK_BROWSER), and without any the book still builds, saying in one
line that the paper was skipped and how to get it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cscbook.build import context
from cscbook.core.errors import CSCBookError
from cscbook.report import browser

ROOT = Path(__file__).resolve().parents[1]


def fake_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_an_explicit_browser_comes_first_and_a_wrong_one_is_an_error(tmp_path):
    on_path = fake_executable(tmp_path / "bin" / "chromium")
    mine = fake_executable(tmp_path / "mine" / "edge")
    env = {"PATH": str(on_path.parent), "HOME": str(tmp_path)}
    assert browser.find_browser(env) == str(on_path)
    assert browser.find_browser({**env, "CSCBOOK_BROWSER": str(mine)}) == str(mine)
    with pytest.raises(CSCBookError, match="CSCBOOK_BROWSER='/no/such/browser': not an executable file"):
        browser.find_browser({**env, "CSCBOOK_BROWSER": "/no/such/browser"})


def test_chrome_and_edge_on_the_path(tmp_path):
    edge = fake_executable(tmp_path / "bin" / "microsoft-edge")
    assert browser.find_browser({"PATH": str(edge.parent), "HOME": str(tmp_path)}) == str(edge)
    chrome = fake_executable(tmp_path / "bin" / "google-chrome")
    assert browser.find_browser({"PATH": str(chrome.parent), "HOME": str(tmp_path)}) == str(chrome)  # before Edge


def test_playwrights_own_download_is_found(tmp_path):
    home = tmp_path / "home"
    old = fake_executable(home / ".cache" / "ms-playwright" / "chromium-1100" / "chrome-linux" / "chrome")
    new = fake_executable(home / ".cache" / "ms-playwright" / "chromium-1200" / "chrome-linux64" / "chrome")
    env = {"PATH": str(tmp_path / "empty"), "HOME": str(home)}
    assert browser.find_browser(env) == str(new)  # the newest download
    new.unlink()
    assert browser.find_browser(env) == str(old)
    elsewhere = fake_executable(tmp_path / "pw" / "chromium-1300" / "chrome-linux" / "chrome")
    assert browser.find_browser({**env, "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw")}) == str(elsewhere)


def test_windows_install_places(tmp_path):
    edge = fake_executable(tmp_path / "x86" / "Microsoft" / "Edge" / "Application" / "msedge.exe")
    env = {"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path), "PROGRAMFILES(X86)": str(tmp_path / "x86")}
    assert browser.find_browser(env) == str(edge)


def test_no_browser_anywhere(tmp_path):
    assert browser.find_browser({"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}) is None


def test_paper_modes(monkeypatch):
    monkeypatch.setattr(browser, "find_browser", lambda environ=None: None)
    assert context.paper_mode("auto") == (False, context.NO_BROWSER)
    assert context.paper_mode("skip") == (False, "built with `--no-paper`")
    assert context.paper_mode(False) == (False, "built with `--no-paper`")
    with pytest.raises(browser.BrowserNotFound, match="--paper require: the committee paper needs a Chromium-family"):
        context.paper_mode("require")
    with pytest.raises(browser.BrowserNotFound):
        context.paper_mode(True)
    with pytest.raises(CSCBookError, match="--paper 'sometimes': choose one of auto, require, skip"):
        context.paper_mode("sometimes")
    monkeypatch.setattr(browser, "find_browser", lambda environ=None: "/usr/bin/chromium")
    assert context.paper_mode("auto") == (True, "")
    assert context.paper_mode("require") == (True, "")


def test_the_book_builds_without_a_browser(tmp_path):
    """A machine with no browser at all (no PATH entry, no Playwright download, no CSCBOOK_BROWSER): the build
    succeeds with exit status 0 and one line saying the paper was skipped and how to get it; the edition has
    its pages and data pack, no paper, and its "About" page says why. With ``--paper require`` the same machine
    stops with one line before anything runs."""
    env = {k: v for k, v in os.environ.items() if k not in ("CSCBOOK_BROWSER", "PLAYWRIGHT_BROWSERS_PATH")}
    env.update(PATH=str(Path(sys.executable).parent), HOME=str(tmp_path / "home"))
    out = tmp_path / "out"
    required = subprocess.run([sys.executable, "-m", "cscbook", "build", "--la", "938", "--quarter", "2019Q2",
                               "--paper", "require", "--output", str(out)], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=600)
    assert required.returncode == 2
    assert required.stderr.strip().splitlines() == [
        "cscbook: error: --paper require: the committee paper needs a Chromium-family browser: "
        + browser.HOW_TO_GET_A_BROWSER]
    assert not (out / "editions").exists()
    proc = subprocess.run([sys.executable, "-m", "cscbook", "build", "--la", "938", "--quarter", "2019Q2",
                           "--output", str(out), "--jobs", "1"], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    skipped = [line for line in proc.stderr.splitlines() if "committee paper skipped" in line]
    assert len(skipped) == 1 and "playwright install chromium" in skipped[0]
    html = out / "editions" / "938-west-sussex-2019Q2" / "_build" / "html"
    assert (html / "index.html").exists() and (html / "data-pack.xlsx").exists()
    assert not (html / "committee-paper.pdf").exists()
    about = (html / "book" / "this_edition.html").read_text(encoding="utf-8")
    assert "no Chromium-family browser was found on the machine that built it" in about
