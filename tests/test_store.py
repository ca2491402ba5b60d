"""The data layer hands out copies of what it has read, and one reset() makes it read the files again."""

import importlib
import pkgutil
from pathlib import Path

import pandas as pd

import cscbook.data
from cscbook.core import memo, paths
from cscbook.core.calendar_england import month_calendar
from cscbook.data import manifest, store
from cscbook.data import tables as data

PACKAGE = Path(cscbook.data.__file__).parent


def test_changing_a_table_handed_out_leaves_the_next_one_unchanged():
    table = data.load_table("referrals")
    first = table.copy()
    table.loc[:, "value"] = -1.0
    pd.testing.assert_frame_equal(data.load_table("referrals"), first)

    values = data.la_values("referrals", "referral_count")
    assert values.loc[("825", 2025), "value"] == 5518  # the published figure (PROVENANCE.md)
    values.loc[("825", 2025), "value"] = 0.0
    values.iloc[:, 0] = float("nan")
    assert data.la_values("referrals", "referral_count").loc[("825", 2025), "value"] == 5518


def test_changing_a_calendar_or_manifest_handed_out_leaves_the_next_one_unchanged():
    cal = month_calendar("2024-01", "2024-12")
    days = cal["working_days"].copy()
    cal["working_days"] = 0
    pd.testing.assert_series_equal(month_calendar("2024-01", "2024-12")["working_days"], days)

    tables = manifest.read(paths.official_dir())
    names = set(tables)
    tables.pop("referrals")
    assert set(manifest.read(paths.official_dir())) == names


def _rewrite_bucks_2025_referrals(root: Path, value: int) -> None:
    """Change one cell of the shipped C1 file in place (the manifest, and so the cache key, stay as they were)."""
    path = root / "data" / "official" / data.release_for("referrals").file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = (frame["old_la_code"] == "825") & (frame["time_period"] == "2025")
    assert row.sum() == 1
    frame.loc[row, "referral_count"] = str(value)
    frame.to_csv(path, index=False)


def test_reset_makes_a_changed_file_be_read_again(fake_root):
    assert data.la_values("referrals", "referral_count").loc[("825", 2025), "value"] == 5518
    _rewrite_bucks_2025_referrals(fake_root, 6001)
    # still the copy read before: the cache is keyed by the release's checksum in the manifest
    assert data.la_values("referrals", "referral_count").loc[("825", 2025), "value"] == 5518
    store.reset()
    assert data.la_values("referrals", "referral_count").loc[("825", 2025), "value"] == 6001


def test_reset_empties_every_memo_of_the_data_layer():
    modules = [importlib.import_module(f"cscbook.data.{m.name}") for m in pkgutil.iter_modules([str(PACKAGE)])]
    data.load_table("referrals")
    manifest.read(paths.official_dir())
    found = memo.memos("cscbook.data")
    assert len(found) >= 10 and sum(m.cache_info().currsize for m in found) > 0
    store.reset()
    assert [m.__qualname__ for m in found if m.cache_info().currsize] == []
    # every cache of the data layer is a memo, so reset() reaches it
    direct = [m.__name__ for m in modules if "lru_cache" in Path(m.__file__).read_text(encoding="utf-8")]
    assert direct == []
