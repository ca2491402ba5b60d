"""The data pack workbook holds the published figures, suppressed as on the pages."""

import pandas as pd

from cscbook.build.context import make_edition
from cscbook.report.datapack import write_datapack


def test_buckinghamshire_data_pack(tmp_path):
    ed = make_edition("825", "2026Q1")
    path = write_datapack(tmp_path, ed)
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Indicators", "Scorecard", "Recording changes", "Timeline", "Notes and sources"]
    units = sheets["Indicators"].iloc[0]  # the units row under the headings
    assert units["Referral rate"] == "per 10,000 children" and units["Referrals"] == "referrals in the year"
    ind = sheets["Indicators"].iloc[1:].set_index("Year ending 31 March")
    assert ind.at[2025, "Referrals"] == 5518  # DfE C1: Buckinghamshire, year to 31 March 2025
    assert ind.at[2025, "Referral rate"] == 422.9  # rounded as published (379.2014282281045 before)
    assert ind.at[2022, "Referrals: likely recording change"] == "yes"
    assert ind.at[2025, "Referrals: likely recording change"] == "no"
    card = sheets["Scorecard"].iloc[1:].set_index("Indicator")
    assert card.at["Referral rate", "Buckinghamshire"] == 422.9
    assert card.at["Agency social workers", "Rating (England quartiles)"] == "Worst quarter (red)"
    assert card.at["Plans lasting two years or more", "Buckinghamshire"] == "c"  # suppressed, as DfE marks it
    assert card.at["Plans lasting two years or more", "Rating (England quartiles)"] == "Not rated: suppressed"
    timeline = sheets["Timeline"].iloc[1:]
    assert pd.Timestamp("2014-08-08") in set(timeline["From"])  # dates as dates
    assert "2014" not in set(timeline["Date as published"])  # the 2014 mention is merged into the official row
    notes = sheets["Notes and sources"].set_index("item")["note"]
    assert "Source 004_0e861a4f4565613d.txt" not in notes.index and "Source 000_aae2f59dc3e5d6c7.txt" in notes.index
    assert "Open Government Licence v3.0" in notes["Licence"]
    assert not list(tmp_path.glob("*.tmp"))
