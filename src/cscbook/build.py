"""Build an edition: run the chapter notebooks with papermill, then compile the Jupyter Book.

Each edition is written to a staging folder and moved into ``editions/<slug>/`` only when everything
succeeded, so a failed run leaves earlier editions untouched. The published site ``_build/html`` holds an
index of every edition built and a copy of each edition's pages.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from . import __version__, paths
from .edition import Edition
from .errors import CSCBookError

CHAPTERS_FILE = "notebooks/chapters.yml"


def chapters() -> list[dict]:
    """The chapter notebooks, in book order, from notebooks/chapters.yml (one entry per chapter)."""
    path = paths.repo_root() / CHAPTERS_FILE
    spec = yaml.safe_load(path.read_text()) or {}
    entries = spec.get("chapters") or []
    for entry in entries:
        if not (paths.repo_root() / entry["notebook"]).is_file():
            raise CSCBookError(f"{CHAPTERS_FILE}: notebook {entry['notebook']!r} does not exist")
    return entries


def editions_dir() -> Path:
    return paths.repo_root() / "editions"


def site_dir() -> Path:
    return paths.repo_root() / "_build" / "html"


def _run_chapter(entry: dict, edition: Edition, stage: Path, failed_dir: Path) -> tuple[str, float]:
    import papermill

    src = paths.repo_root() / entry["notebook"]
    dest = stage / entry["notebook"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(src),
            str(dest),
            parameters=edition.parameters(),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(paths.repo_root()),
        )
    except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
        failed_dir.mkdir(parents=True, exist_ok=True)
        keep = failed_dir / Path(entry["notebook"]).name
        if dest.exists():
            shutil.copy2(dest, keep)
        reason = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1]
        raise CSCBookError(f"chapter {entry['notebook']} failed ({reason}); the failed notebook is at {keep}") from None
    return entry["notebook"], time.perf_counter() - start


def _write_toc(stage: Path, entries: list[dict]) -> None:
    toc = yaml.safe_load((paths.repo_root() / "_toc.yml").read_text())
    parts = toc.setdefault("parts", [])
    chapter_files = [{"file": e["notebook"].removesuffix(".ipynb")} for e in entries]
    if chapter_files:
        parts.insert(0, {"caption": "Chapters", "chapters": chapter_files})
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))


def build(edition: Edition, jobs: int | None = None, log=print) -> Path:
    """Build one edition; return its folder. Raises CSCBookError on any failure, leaving old editions."""
    root = paths.repo_root()
    out = editions_dir()
    out.mkdir(exist_ok=True)
    stage = out / f".staging-{edition.slug}-{uuid.uuid4().hex[:8]}"
    failed_dir = out / ".failed" / edition.slug
    entries = chapters()
    t0 = time.perf_counter()
    try:
        stage.mkdir()
        shutil.copy2(root / "_config.yml", stage / "_config.yml")
        shutil.copytree(root / "book", stage / "book")
        _write_toc(stage, entries)
        (stage / "edition.json").write_text(
            json.dumps({**edition.parameters(), "slug": edition.slug, "council": edition.council.name,
                        "package_version": __version__}, indent=1)
        )
        jobs = jobs or max(1, min(len(entries), os.cpu_count() or 1))
        timings = {}
        if entries:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_run_chapter, e, edition, stage, failed_dir) for e in entries]
                for f in futures:
                    name, seconds = f.result()
                    timings[name] = seconds
                    log(f"  ran {name} in {seconds:.1f}s")
        log(f"  compiling the book for {edition.council.name} {edition.quarter}")
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage), "-W", "-n", "--keep-going", "--quiet"],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0 or not (stage / "_build" / "html" / "index.html").exists():
            failed_dir.mkdir(parents=True, exist_ok=True)
            logfile = failed_dir / "jupyter-book.log"
            logfile.write_text(proc.stdout + "\n" + proc.stderr)
            lines = (proc.stderr + "\n" + proc.stdout).splitlines()
            first = next((ln for ln in lines if "WARNING" in ln or "ERROR" in ln.upper()), "see the log")
            raise CSCBookError(f"the book did not compile cleanly ({first.strip()}); full log at {logfile}")
        (stage / "timings.json").write_text(json.dumps({"chapters": timings,
                                                        "total": time.perf_counter() - t0}, indent=1))
        dest = out / edition.slug
        if dest.exists():
            backup = out / ".previous" / edition.slug
            if backup.exists():
                shutil.rmtree(backup)
            backup.parent.mkdir(exist_ok=True)
            os.replace(dest, backup)
        os.replace(stage, dest)
        shutil.rmtree(failed_dir, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    publish_site()
    return dest


def built_editions() -> list[dict]:
    rows = []
    for folder in sorted(editions_dir().glob("*/edition.json")):
        meta = json.loads(folder.read_text())
        meta["folder"] = folder.parent.name
        rows.append(meta)
    return rows


def publish_site() -> Path:
    """Refresh _build/html: an index of editions and a copy of each edition's pages."""
    site = site_dir()
    tmp = site.parent / f".html-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    items = []
    for meta in built_editions():
        src = editions_dir() / meta["folder"] / "_build" / "html"
        shutil.copytree(src, tmp / "editions" / meta["folder"])
        items.append(
            f'<li><a href="editions/{html.escape(meta["folder"])}/index.html">'
            f'{html.escape(meta["council"])} ({html.escape(meta["la"])}), {html.escape(meta["quarter"])}</a></li>'
        )
    (tmp / "index.html").write_text(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Editions: children's social care "
        "report book</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>"
        "<main><h1>Children's social care report book: editions</h1><p>Each edition is built for one council and "
        "one calendar quarter, from the data published by the end of that quarter.</p><ul>"
        + "".join(items) + "</ul></main></body></html>\n"
    )
    if site.exists():
        old = site.parent / f".old-{uuid.uuid4().hex[:8]}"
        os.replace(site, old)
        os.replace(tmp, site)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, site)
    return site
