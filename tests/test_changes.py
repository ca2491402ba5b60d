"""What changed since the previous edition, from the two quarters' data vintages."""

import release_fixture

from cscbook.core.quarters import Quarter
from cscbook.models.changes import since_previous


def test_buckinghamshire_changes_by_quarter():
    q1 = since_previous("825", Quarter(2026, 1))
    assert ("New release", "workforce figures for 30 September 2025") in set(zip(q1["change"], q1["what"]))
    crossed = q1[q1["change"] == "Quartile band crossed"].set_index("what")
    assert crossed.at["Average caseload", "now"] == "England quartile 4 (2025)"
    q2 = since_previous("825", Quarter(2025, 2))
    judged = q2[q2["change"] == "Ofsted judgement published"]
    assert judged["what"].tolist() == ["ILACS Standard Inspection, 2025-05-14"]
    assert judged["now"].tolist() == ["Requires improvement"]
    assert since_previous("825", Quarter(2025, 3)).query("change == 'Ofsted judgement published'").empty


def test_a_revised_figure_is_reported(fake_root):
    """A SYNTHETIC 2026 release that revises Buckinghamshire's 2025 referrals: the 2026Q4 edition says so."""
    release_fixture.add_synthetic_release(fake_root, revise=True)
    from cscbook.data import store
    from cscbook.models import indicators

    store.reset()
    indicators._long_cached.cache_clear()
    changes = since_previous("825", Quarter(2026, 4))
    revised = changes[changes["change"] == "Revised figure"].set_index("what")
    code, measure, delta = release_fixture.REVISED
    assert revised.at["Referrals, 2025", "before"] == "5,518.0"
    assert revised.at["Referrals, 2025", "now"] == f"{5518 + delta:,.1f}"
    assert ("New release", "children in need figures for the year to 31 March 2026") in set(zip(changes["change"], changes["what"]))
