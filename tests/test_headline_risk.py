"""The headline page's "What is at risk" names the capacity risk from the forecast page's capacity plan: the month
with the highest chance of needing more social workers than available, and that chance."""

import pytest
from conftest import synthetic_capacity_plan

from cscbook.build.context import make_edition
from cscbook.data.edition import latest_quarter


def test_the_capacity_risk_names_the_month_of_highest_risk_and_its_chance():
    from cscbook.models.capacity import CapacityResult
    from cscbook.models.headlines import capacity_risk_claim

    ed = make_edition("825", "2026Q1")
    (c,) = capacity_risk_claim(ed, CapacityResult(synthetic_capacity_plan([0.2] * 10 + [0.35, 0.3])), False)
    assert c.text == ("Social worker capacity: of the next 12 months, **February 2027** has the highest chance of "
                      "needing more case-holding social workers than available, 35% (about 160.0 FTE needed against "
                      "150.4 available); none of them is more likely than not to be over capacity.")
    assert c.check() and c.chapter == "forecast"
    (one,) = capacity_risk_claim(ed, CapacityResult(synthetic_capacity_plan([0.2] * 11 + [0.6])), True)
    assert "**March 2027** has the highest chance" in one.text and "60%" in one.text
    assert "1 of them is more likely than not" in one.text and "illustrative monthly figures" in one.text
    assert capacity_risk_claim(ed, None, False) == []


@pytest.fixture(scope="module")
def default_edition():
    from cscbook.models.headlines import _capacity, sections

    ed = make_edition("825", str(latest_quarter()))
    return ed, sections(ed, holding_only=True), _capacity(ed)


def test_the_default_edition_states_its_capacity_risk_under_what_is_at_risk(default_edition):
    ed, parts, (result, illustrative) = default_edition
    plan = result.plan
    assert not plan.empty
    worst = plan["probability_over_capacity"].idxmax()
    (c,) = [c for c in parts["risk"] if c.name == "risk_capacity"]
    assert f"**{worst:%B %Y}** has the highest chance" in c.text
    assert f", {plan.at[worst, 'probability_over_capacity']:.0%} (about" in c.text
    assert ("illustrative monthly figures" in c.text) == illustrative
    assert c.check()
    # the indicators' risks stay first, and the decisions read the same capacity plan
    assert parts["risk"][-1].name == "risk_capacity" and len(parts["risk"]) > 1
    assert parts["decide"]
