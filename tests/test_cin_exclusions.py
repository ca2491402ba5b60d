"""The published edition shows how many episodes of the council's CIN census returns were left out, by reason:
counts only, beside the content-keyed aggregate the chapters read, and suppressed like every count on a page
(SYNTHETIC returns generated in code)."""

import json

import pytest
import synthetic_cin as S

from cscbook.build.context import materialise_monthly
from cscbook.core.disclosure import DisclosurePolicy
from cscbook.data import cincensus as C
from cscbook.report.notebook import table_html


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    return S.generate_problems(tmp_path_factory.mktemp("cinproblems"))


def test_excluded_episodes_reach_the_edition_as_counts_by_reason(problems, tmp_path):
    aggregate = materialise_monthly("825", cin_census=[str(f) for f in problems.files], cache_root=tmp_path)
    side = aggregate.with_name(aggregate.stem + C.EXCLUSIONS_SUFFIX)
    counts = json.loads(side.read_text())["excluded"]
    expected = C.read_returns([str(f) for f in problems.files], "825").excluded
    assert counts == {r: n for r, n in expected.items() if n} and sum(counts.values()) > 0
    table = C.excluded_episodes(aggregate)
    assert list(table.columns) == ["Reason", "Episodes excluded"]
    assert dict(zip(table["Reason"], table["Episodes excluded"])) == {
        C.rules.REASONS[r]: n for r, n in counts.items()}
    # nothing child-level beside the aggregate: the sidecar holds reasons and counts only
    text = side.read_text()
    assert not any(secret in text for secret in problems.secrets)
    # published through the disclosure policy: counts of 1 to 5 as c
    page = table_html(table, counts=["Episodes excluded"], caption="Excluded", policy=DisclosurePolicy(True))
    small = [n for n in table["Episodes excluded"] if 1 <= n <= 5]
    assert small, "the synthetic returns leave out a few episodes of each kind"
    assert f'<td class="cscbook-col-episodes-excluded">{small[0]}</td>' not in page
    assert '<td class="cscbook-col-episodes-excluded">c</td>' in page


def test_no_sidecar_without_exclusions(tmp_path):
    clean = S.generate(tmp_path / "clean", la="825", years=(2024, 2025), totals={2024: 60, 2025: 60}, seed=5)
    aggregate = materialise_monthly("825", cin_census=[str(f) for f in clean.files], cache_root=tmp_path / "cache")
    assert C.excluded_episodes(aggregate) is None
    assert C.excluded_episodes(None) is None
