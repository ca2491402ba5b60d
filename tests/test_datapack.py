"""The data pack workbook holds the published figures, suppressed as on the pages."""

import pandas as pd

from cscbook.datapack import write_datapack
from cscbook.edition import make_edition


def test_buckinghamshire_data_pack(tmp_path):
    ed = make_edition("825", "2026Q1")
    path = write_datapack(tmp_path, ed)
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Indicators", "Scorecard", "Timeline", "Notes and sources"]
    ind = sheets["Indicators"].set_index("year")
    assert ind.at[2025, "referrals"] == 5518  # DfE C1: Buckinghamshire, year to 31 March 2025
    card = sheets["Scorecard"].set_index("indicator")
    assert round(card.at["referrals_rate_per_10k", "value"], 1) == 422.9
    assert "2014-08-08" in set(sheets["Timeline"]["date"].astype(str))
    assert not list(tmp_path.glob("*.tmp"))
