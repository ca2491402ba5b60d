"""The one input layer: every file a user names (YAML, CSV, paths) is opened and quoted through here.

- :func:`input_file` checks a path names a readable regular file of a bounded size, in one line.
- :func:`load_yaml` parses YAML safely with limits on size, aliases, nesting depth and the size of the value
  once aliases are expanded (a "billion laughs" file fails at once, in one line, without expanding anything).
- :func:`excerpt` is how a message quotes a value: a short, single-line, sanitised excerpt of text or a number;
  lists and mappings are named by their kind, never printed (so a message can never expand a value or echo a
  file's contents).
- :func:`safe_cell` neutralises text cells a spreadsheet would run as a formula (OWASP, CSV injection).
- :func:`escape_markdown` makes user text literal in a Markdown (MyST) page.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import yaml

from cscbook.core.errors import CSCBookError

#: limits on a YAML file a user gives (editions, scenarios); the shipped files are a few kilobytes
MAX_YAML_BYTES = 1_000_000
MAX_YAML_ALIASES = 100
MAX_YAML_DEPTH = 20
#: nodes of the document with every alias expanded: far above any real file, far below a memory problem
MAX_YAML_NODES = 100_000
#: characters of a value a message quotes
EXCERPT = 40

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def excerpt(value, limit: int = EXCERPT) -> str:
    """A value as a message may quote it: numbers and short text (control characters replaced, cut to ``limit``
    characters) in quotes; anything else by its kind ("a list", "a mapping"), never expanded."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10 ** 15 else "a number of more than 15 digits"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) or math.isnan(value) else str(value)
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if not isinstance(value, str):
        if hasattr(value, "isoformat"):  # a date YAML read
            return value.isoformat()
        return f"a {type(value).__name__}"
    text = _CONTROL.sub("?", value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return repr(text)


def _where(source: str, path: Path) -> str:
    return source or str(path)


def input_file(path: str | Path, source: str = "", what: str = "file", max_bytes: int | None = None) -> Path:
    """``path`` if it names a readable regular file (at most ``max_bytes``); else one clear CSCBookError.
    ``source`` names the parameter for the message (e.g. ``--editions x.yml``); ``what`` what it should be."""
    path = Path(path)
    where = _where(source, path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CSCBookError(f"{where}: file not found; give the path of {what}") from None
    except NotADirectoryError:
        raise CSCBookError(f"{where}: a part of the path is a file, not a folder; give the path of {what}") from None
    except OSError as exc:
        raise CSCBookError(f"{where}: cannot be read ({exc.strerror}); give the path of {what}") from None
    import stat

    if stat.S_ISDIR(st.st_mode):
        raise CSCBookError(f"{where}: is a folder; give the path of {what}")
    if not stat.S_ISREG(st.st_mode):
        raise CSCBookError(f"{where}: is not a regular file (a device, pipe or socket); give the path of {what}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise CSCBookError(f"{where}: {st.st_size:,} bytes is too large for {what} (limit {max_bytes:,})")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise CSCBookError(f"{where}: cannot be read ({exc.strerror}); check the file's permissions") from None
    return path


class _Limits(yaml.SafeLoader):
    """PyYAML's safe loader (libyaml where available is not used: the limits need the composer's hooks)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _LimitHit(f"more than {MAX_YAML_ALIASES} aliases (*name)")
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _LimitHit(f"nested more than {MAX_YAML_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _LimitHit(Exception):
    pass


def _expanded_size(node, limit: int) -> int:
    """Nodes of ``node`` with every alias expanded (stops counting past ``limit``); a recursive alias raises."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _LimitHit("an alias refers to the list or mapping that holds it")
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > limit:
                    break
        active.discard(key)
        sizes[key] = total
        return total

    return size(node)


def load_yaml(path: str | Path, source: str = "", what: str = "a YAML file", max_bytes: int = MAX_YAML_BYTES):
    """Parse a user's YAML file safely and within limits; raise CSCBookError with one line naming the problem.

    Only plain YAML is read (no Python tags); the file is at most ``max_bytes``, holds at most
    :data:`MAX_YAML_ALIASES` aliases, nests at most :data:`MAX_YAML_DEPTH` levels and expands to at most
    :data:`MAX_YAML_NODES` values. The message never quotes the file's contents.
    """
    path = input_file(path, source, what, max_bytes)
    where = _where(source, path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CSCBookError(f"{where}: is not UTF-8 text; save it as UTF-8 YAML") from None
    if "\x00" in text:
        raise CSCBookError(f"{where}: holds binary data; give {what}")
    if not text.strip():
        return None
    loader = _Limits(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise _LimitHit(f"more than {MAX_YAML_NODES:,} values once aliases are expanded")
        return loader.construct_document(node)
    except _LimitHit as exc:
        raise CSCBookError(f"{where}: refused: {exc}; write the values out plainly") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise CSCBookError(f"{where}: {line}not valid YAML ({_CONTROL.sub('?', str(problem))[:80]}); "
                           "check indentation and colons") from None
    except RecursionError:
        raise CSCBookError(f"{where}: refused: nested too deeply; write the values out plainly") from None
    finally:
        loader.dispose()


#: the earliest month a council's referrals can be counted from: the Children Act 1989, which defines a child in
#: need and the local authority's duty to assess, came into force on 14 October 1991
FIRST_MONTH = "1991-10"
#: an extract ending more than this many months before the quarter's end would be forecast for years on end
MAX_MONTHS_BEFORE = 60


def check_months(frame, quarter, parameter: str = "--monthly") -> None:
    """A monthly input's months against the edition's span (one line, CSCBookError): at least one month by the
    end of ``quarter``, none before :data:`FIRST_MONTH`, the last no more than :data:`MAX_MONTHS_BEFORE` months
    before the quarter's end, and some referrals by then (not every month 0)."""
    import pandas as pd

    months = frame.index
    end = pd.Period(quarter.end, freq="M")
    first, last = months.min(), months.max()
    if first < pd.Period(FIRST_MONTH, freq="M"):
        raise CSCBookError(f"{parameter}: the first month is {first}, before referrals were counted (the Children "
                           f"Act 1989 took effect in October 1991); check the month column")
    if first > end:
        raise CSCBookError(f"{parameter}: every month ({first} to {last}) is after the end of {quarter}; choose a "
                           f"quarter the months cover, e.g. --quarter {last.asfreq('Q')}")
    known = frame[months <= end]
    if (end - min(last, end)).n > MAX_MONTHS_BEFORE:
        raise CSCBookError(f"{parameter}: the months end in {last}, more than {MAX_MONTHS_BEFORE} months before the "
                           f"end of {quarter}; add the recent months or choose an earlier quarter")
    if "referrals" in known.columns and not (known["referrals"].fillna(0) > 0).any():
        raise CSCBookError(f"{parameter}: referrals are 0 in every month by the end of {quarter}; nothing to "
                           "forecast: check the export")


#: first characters a spreadsheet reads as the start of a formula (OWASP: CSV injection), and the control
#: characters that can stand before one
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def safe_cell(value):
    """A text cell that a spreadsheet would read as a formula prefixed with a single quote, as OWASP's CSV
    injection guidance says; numbers (negative ones too) and other text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(frame):
    """A copy of ``frame`` whose text cells (and column names) are neutralised with :func:`safe_cell`."""
    from pandas.api import types

    def texts(values) -> bool:
        return not (types.is_numeric_dtype(values.dtype) or types.is_datetime64_any_dtype(values.dtype)
                    or isinstance(values.dtype, __import__("pandas").PeriodDtype))

    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if texts(col):
            out.isetitem(i, col.map(safe_cell))
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    if texts(out.index):
        out.index = out.index.map(safe_cell)
    return out


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|$<>~^:=])")


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters replaced by spaces (a value that must stay on its line)."""
    return _CONTROL.sub(" ", str(text))


def escape_markdown(text: str) -> str:
    """``text`` as literal characters in a Markdown or MyST page: every markup character backslash-escaped
    (tables' ``|``, maths' ``$``, roles' backticks, links, emphasis), line breaks as spaces."""
    text = _CONTROL.sub(" ", str(text))
    return _MARKDOWN.sub(r"\\\1", text)


def check_writable_folder(path: Path, label: str, where: str, writable: str) -> None:
    """The nearest existing folder at or above ``path`` is a folder this process can write: else one line
    (``label``, then what is wrong and what to give instead: ``where`` under a file, ``writable`` where it cannot
    be written)."""
    import os

    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise CSCBookError(f"{label}: {probe} is a file, not a folder; give {where}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CSCBookError(f"{label}: {probe} cannot be written; give {writable}")
