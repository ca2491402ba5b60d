"""Ofsted Annex A workbook: monthly contacts, referrals and conversion from a SYNTHETIC workbook whose counts
are known, with headings and sheet names varied the way councils vary them."""

import random
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook

from cscbook.core.errors import CSCBookError
from cscbook.data.annexa import AnnexAError, read_annex_a


def synthetic_workbook(path, contact_heading="Date of Contact", referral_heading="Date of Referral",
                       list1="List 1", list3="List 3", title_rows=0, string_dates=False, seed=5):
    """A SYNTHETIC Annex A workbook (fictional IDs and dates); returns the known monthly counts."""
    rng = random.Random(seed)
    wb = Workbook()
    wb.remove(wb.active)
    known = {}

    def cell(d):
        return d.strftime("%d/%m/%Y") if string_dates else datetime(d.year, d.month, d.day)

    ws = wb.create_sheet(list1)
    for _ in range(title_rows):
        ws.append(["SYNTHETIC Annex A: List 1 contacts"])
    ws.append(["Child Unique ID", "Gender", "Date of Birth", contact_heading, "Contact Source"])
    for i in range(400):
        d = date(2023, 4, 1) + timedelta(days=rng.randrange(365))
        known.setdefault((d.year, d.month), [0, 0, 0])[0] += 1
        ws.append([f"SYNA{i:05d}", "a) Male", datetime(2012, 1, 1), cell(d), "q) 6: Police"])
    ws.append([None, None, None, None, None])  # a blank row is skipped
    wb.create_sheet("List 2").append(["Child Unique ID", "Assessment start date"])
    ws = wb.create_sheet(list3)
    for _ in range(title_rows):
        ws.append(["SYNTHETIC Annex A: List 3 referrals"])
    ws.append(["Child Unique ID", "Gender", referral_heading, "Referral Source", "Referral NFA?",
               "Number of Referrals in Last 12 Months"])
    for i in range(150):
        d = date(2023, 4, 1) + timedelta(days=rng.randrange(365))
        nfa = rng.choice(["a) Yes", "Yes", "b) No", "No", "N", "c) Unknown", None])
        k = known.setdefault((d.year, d.month), [0, 0, 0])
        k[1] += 1
        k[2] += nfa in ("a) Yes", "Yes")
        ws.append([f"SYNR{i:05d}", "b) Female", cell(d), "e) 2A: Schools", nfa, 0])
    ws.append(["SYNR99999", "b) Female", None, "e) 2A: Schools", "No", 0])  # undated: not counted
    wb.save(path)
    return known


@pytest.mark.parametrize("variant", [
    {},
    {"contact_heading": "Contact date", "referral_heading": "REFERRAL DATE", "list1": "List 1 - Contacts",
     "list3": "List_3 Referrals", "title_rows": 2},
    {"string_dates": True, "list1": "list1", "list3": "LIST 03"},
], ids=["template", "renamed headings and sheets", "text dates"])
def test_monthly_counts_and_conversion_are_recovered(tmp_path, variant):
    path = tmp_path / "SYNTHETIC_annex_a.xlsx"
    known = synthetic_workbook(path, **variant)
    frame = read_annex_a(path)
    assert str(frame.index[0]) == "2023-04" and str(frame.index[-1]) == "2024-03" and frame.index.name == "month"
    for (y, m), (contacts, referrals, nfa) in known.items():
        row = frame.loc[f"{y}-{m:02d}"]
        assert (row["contacts"], row["referrals"], row["nfa_referrals"]) == (contacts, referrals, nfa)
        assert row["conversion"] == pytest.approx(referrals / contacts)
    assert frame["contacts"].sum() == 400 and frame["referrals"].sum() == 150
    assert frame.attrs["undated"] == {"List 1": 0, "List 3": 1}


def test_a_bad_date_names_sheet_row_and_column_not_the_value(tmp_path):
    path = tmp_path / "SYNTHETIC_annex_a.xlsx"
    synthetic_workbook(path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["List 3"]["C5"] = "next Tuesday"
    wb.save(path)
    with pytest.raises(AnnexAError) as err:
        read_annex_a(path)
    msg = str(err.value)
    assert msg == ("SYNTHETIC_annex_a.xlsx, sheet 'List 3', row 5, column 'Date of Referral': not a date; format the "
                   "column as dates (dd/mm/yyyy)")


def test_missing_list_and_heading(tmp_path):
    path = tmp_path / "book.xlsx"
    wb = Workbook()
    wb.active.title = "List 1"
    wb.active.append(["Child Unique ID", "When"])
    wb.save(path)
    with pytest.raises(AnnexAError, match=r"book\.xlsx, sheet 'List 1': no heading with 'date' and 'contact'"):
        read_annex_a(path)
    wb.active.append(["x", datetime(2023, 5, 1)])
    wb.active["B1"] = "Date of contact"
    wb.save(path)
    with pytest.raises(AnnexAError, match=r"book\.xlsx: no sheet for List 3 \(sheets: List 1\)"):
        read_annex_a(path)


def test_not_a_workbook(tmp_path):
    path = tmp_path / "annex.xlsx"
    path.write_text("Child Unique ID,Date of Contact\n", encoding="utf-8")
    with pytest.raises(CSCBookError, match=r"annex\.xlsx: not an Excel workbook"):
        read_annex_a(path)


def test_contacts_join_a_census_series_where_months_overlap(tmp_path):
    import pandas as pd

    from cscbook.data.annexa import add_contacts

    path = tmp_path / "SYNTHETIC_annex_a.xlsx"
    known = synthetic_workbook(path)
    census = pd.DataFrame({"referrals": 1.0}, index=pd.period_range("2023-01", "2023-06", freq="M"))
    census.index.name = "month"
    out = add_contacts(census, read_annex_a(path))
    assert out["contacts"].iloc[:3].isna().all()
    assert out.loc["2023-05", "contacts"] == known[(2023, 5)][0]


def test_extract_command_adds_annex_a_contacts_to_census_months(tmp_path):
    """`cscbook extract --cin-census ... --annex-a ...`: the census months gain the workbook's contacts."""
    import synthetic_cin

    from cscbook.cli import main
    from cscbook.data.monthly import read_extract

    returns = synthetic_cin.generate(tmp_path / "returns", years=(2022, 2023, 2024))
    book = tmp_path / "SYNTHETIC_annex_a.xlsx"
    known = synthetic_workbook(book)
    out = tmp_path / "monthly.csv"
    assert main(["extract", "--cin-census", *map(str, returns.files), "--la", "825", "--annex-a", str(book),
                 "--output", str(out)]) == 0
    frame = read_extract(out)
    assert int(frame.loc["2023-06", "contacts"]) == known[(2023, 6)][0]
    assert frame.loc["2021-04":"2023-03", "contacts"].isna().all()  # before the workbook: unknown, not zero
    assert frame["referrals"].sum() == returns.expected["referrals"].sum()
