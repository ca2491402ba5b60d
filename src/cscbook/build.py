"""Build an edition: run the chapter notebooks with papermill, then compile the Jupyter Book.

Each edition is written to a staging folder and moved into ``editions/<slug>/`` only when everything
succeeded, so a failed run leaves earlier editions untouched. The published site ``_build/html`` holds an
index of every edition built and a copy of each edition's pages.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
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


#: Where editions and the site are written; `cscbook build --output DIR` changes it.
OUTPUT_ROOT: Path | None = None


def output_root() -> Path:
    return OUTPUT_ROOT or paths.repo_root()


def editions_dir() -> Path:
    return output_root() / "editions"


def site_dir() -> Path:
    return output_root() / "_build" / "html"


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def data_hash() -> str:
    """Hash of every file under data/ (the data version shown in the colophon)."""
    files = sorted(p for p in paths.data_dir().rglob("*") if p.is_file())
    return _digest(*[str(f.relative_to(paths.data_dir())).encode() + f.read_bytes() for f in files])


def code_hash() -> str:
    """Hash of the package source and version: a change to the code invalidates cached chapters."""
    pkg = Path(__file__).resolve().parent
    files = sorted(pkg.rglob("*.py"))
    return _digest(__version__.encode(), *[f.read_bytes() for f in files])


def chapter_key(entry: dict, edition: Edition, data_version: str, code_version: str) -> str:
    src = paths.repo_root() / entry["notebook"]
    monthly = edition.monthly.read_bytes() if edition.monthly else b""
    return _digest(src.read_bytes(), json.dumps(edition.parameters(), sort_keys=True).encode(), monthly,
                   data_version.encode(), code_version.encode())


def cache_dir() -> Path:
    return editions_dir() / ".cache"


def outputs_hash(notebook_paths: list[Path]) -> str:
    """Content hash of what an edition shows: every cell output of every executed chapter (tables, text and
    figure data), ignoring execution counts and timings."""
    import nbformat

    parts = []
    for path in notebook_paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
                continue
            for out in cell.get("outputs", []):
                parts.append(json.dumps({k: out.get(k) for k in ("output_type", "text", "data", "name")},
                                        sort_keys=True).encode())
    return _digest(*parts)


def _staged(stage: Path, entry: dict) -> Path:
    """Where a chapter's executed notebook goes in the staging folder (always stage/notebooks/<name>)."""
    return stage / "notebooks" / Path(entry["notebook"]).name


def _tidy_executed(path: Path) -> None:
    """Hide papermill's injected-parameters cell from readers; drop volatile execution metadata."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type == "code":
            cell.execution_count = None
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, path)


def _run_chapter(entry: dict, edition: Edition, stage: Path, failed_dir: Path, key: str) -> tuple[str, float, bool]:
    import papermill

    src = paths.repo_root() / entry["notebook"]
    dest = _staged(stage, entry)
    dest.parent.mkdir(parents=True, exist_ok=True)
    cached = cache_dir() / f"{key}.ipynb"
    if cached.exists():
        shutil.copy2(cached, dest)
        return entry["notebook"], 0.0, True
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
    _tidy_executed(dest)
    cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = cache_dir() / f".{key}.{uuid.uuid4().hex[:6]}.tmp"
    shutil.copy2(dest, tmp)
    os.replace(tmp, cached)
    return entry["notebook"], time.perf_counter() - start, False


def _write_colophon(stage: Path, meta: dict) -> None:
    text = f"""# Colophon

| | |
|---|---|
| Council | {meta['council']} ({meta['la']}) |
| Edition | calendar quarter {meta['quarter']} (financial year {meta['financial_quarter']}) |
| Monthly data | {meta['monthly'] or 'illustrative example (data/examples)'} |
| Package | cscbook {meta['package_version']} (code {meta['code_version']}) |
| Data version | {meta['data_version']} |
| Content hash | `{meta['content_hash']}` |

The content hash is computed from every table, text and figure the chapters produced. Building the same
edition from the same data and code gives the same hash.
"""
    (stage / "book" / "colophon.md").write_text(text)


def _write_toc(stage: Path, entries: list[dict]) -> None:
    toc = yaml.safe_load((paths.repo_root() / "_toc.yml").read_text())
    parts = toc.setdefault("parts", [])
    chapter_files = [{"file": f"notebooks/{Path(e['notebook']).stem}"} for e in entries]
    if chapter_files:
        parts.insert(0, {"caption": "Chapters", "chapters": chapter_files})
    parts[-1].setdefault("chapters", []).append({"file": "book/colophon"})
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))


def build(edition: Edition, jobs: int | None = None, log=print, force: bool = False) -> Path:
    """Build one edition; return its folder. Raises CSCBookError on any failure, leaving old editions.

    An edition whose chapters, parameters, data and code are unchanged since its last build is not rebuilt;
    a chapter whose inputs are unchanged is taken from the cache of executed chapters.
    """
    root = paths.repo_root()
    out = editions_dir()
    out.mkdir(parents=True, exist_ok=True)
    data_version, code_version = data_hash(), code_hash()
    book_files = sorted([root / "_config.yml", root / "_toc.yml", *(p for p in (root / "book").rglob("*") if p.is_file())])
    entries = chapters()
    keys = {e["notebook"]: chapter_key(e, edition, data_version, code_version) for e in entries}
    input_hash = _digest(*[k.encode() for k in keys.values()], *[f.read_bytes() for f in book_files])
    dest = out / edition.slug
    meta_file = dest / "edition.json"
    previous = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    if not force and previous.get("input_hash") == input_hash and (dest / "_build" / "html" / "index.html").exists():
        meta = previous
        log(f"  unchanged since the last build (content hash {meta['content_hash'][:16]}): nothing to do")
        publish_site()
        return dest
    stage = out / f".staging-{edition.slug}-{uuid.uuid4().hex[:8]}"
    failed_dir = out / ".failed" / edition.slug
    t0 = time.perf_counter()
    try:
        stage.mkdir()
        shutil.copy2(root / "_config.yml", stage / "_config.yml")
        shutil.copytree(root / "book", stage / "book")
        _write_toc(stage, entries)
        jobs = jobs or max(1, min(len(entries), os.cpu_count() or 1))
        timings = {}
        if entries:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_run_chapter, e, edition, stage, failed_dir, keys[e["notebook"]])
                           for e in entries]
                for f in futures:
                    name, seconds, cached = f.result()
                    timings[name] = seconds
                    log(f"  {name}: " + ("unchanged, from cache" if cached else f"ran in {seconds:.1f}s"))
        content_hash = outputs_hash([_staged(stage, e) for e in entries])
        meta = {**edition.parameters(), "monthly": edition.monthly.name if edition.monthly else "",
                "slug": edition.slug, "council": edition.council.name,
                "financial_quarter": edition.quarter.financial_quarter, "package_version": __version__,
                "data_version": data_version[:16], "code_version": code_version[:16],
                "content_hash": content_hash, "input_hash": input_hash}
        _write_colophon(stage, meta)
        (stage / "edition.json").write_text(json.dumps(meta, indent=1))
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
        postprocess_site(stage / "_build" / "html")
        (stage / "timings.json").write_text(json.dumps({"chapters": timings,
                                                        "total": time.perf_counter() - t0}, indent=1))
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


_THEBE = re.compile(r'\s*<script>const THEBE_JS_URL[^<]*</script>|\s*<script[^>]*sphinx-thebe\.js[^>]*></script>'
                    r'|\s*<link[^>]*sphinx-thebe\.css[^>]*/>')


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
        cleaned = _THEBE.sub("", text)
        for old, new in _LABELS:
            cleaned = cleaned.replace(old, new)
        cleaned = _THEME_ICON.sub(r'\1 aria-hidden="true"', cleaned)
        if cleaned != text:
            page.write_text(cleaned, encoding="utf-8")


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
            f'{html.escape(meta["council"])} ({html.escape(meta["la"])}), {html.escape(meta["quarter"])}'
            f'{" (financial year " + html.escape(meta["financial_quarter"]) + ")" if meta.get("financial_quarter") else ""}'
            "</a></li>"
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
