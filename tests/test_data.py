"""The data layer: published values, tidy layout, and schema errors that name file, column and line."""

import pytest

from cscbook.core.errors import DataSchemaError
from cscbook.data import tables as data


def value(table, measure, code, year):
    t = data.la_values(table, measure)
    return t.loc[(code, year), "value"], t.loc[(code, year), "status"]


@pytest.mark.parametrize(
    "table, measure, code, year, expected",
    [
        ("referrals", "referral_count", "825", 2013, 4418),
        ("referrals", "referral_count", "825", 2014, 7317),
        ("referrals", "referral_count", "825", 2022, 13087),
        ("referrals", "referral_count", "938", 2024, 7931),
        ("referrals", "no_further_action_percent", "825", 2022, 44.4),
        ("population", "population_estimate", "825", 2024, 130466),
        ("population", "population_estimate", "938", 2013, 167281),
        ("cla", "cla_at_31_march", "825", 2010, 346),
        ("cla", "cla_at_31_march", "825", 2025, 522),
        ("cla", "cla_ceased", "938", 2025, 328),
        ("workforce", "agency_rate_fte", "825", 2023, 32.8),
        ("workforce", "turnover_rate_fte", "825", 2023, 24.6),
        ("workforce", "vacancy_rate_fte", "825", 2023, 25.1),
        ("workforce", "inpost_fte", "825", 2025, 231.6),
    ],
)
def test_published_values(table, measure, code, year, expected):
    v, status = value(table, measure, code, year)
    assert v == pytest.approx(expected)
    assert status == "published"


def test_markers_survive_as_reasons():
    t = data.load_table("referrals")
    # Hackney's referrals were not collected in 2021 and 2022 (cyber-attack): not available, not zero
    hackney = t[(t["la_name"] == "Hackney") & (t["measure"] == "referral_count") & t["year"].isin([2021, 2022])]
    assert len(hackney) == 2
    assert hackney["value"].isna().all()
    assert set(hackney["status"]) == {"not available"}
    assert (t["status"] == "suppressed").sum() > 0
    assert t.loc[t["status"] != "published", "value"].isna().all()


def test_tidy_layout_columns():
    t = data.load_table("cin")
    assert list(t.columns) == ["year", "level", "old_la_code", "region_name", "la_name", "measure", "value",
                               "status", "table"]
    assert set(t["level"]) == {"National", "Regional", "Local authority"}
    assert t.loc[t["level"] == "Local authority", "old_la_code"].str.fullmatch(r"\d{3}").all()


def test_cla_joins_legacy_and_current_files_without_overlap():
    t = data.la_values("cla", "cla_at_31_march")
    years = sorted(set(t.index.get_level_values("year")))
    assert years[0] == 2010 and years[-1] == 2025
    assert not t.index.duplicated().any()


def _damage(root, file, old, new, count=1):
    path = root / "data" / "official" / file
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_unknown_marker_names_file_column_and_line(fake_root):
    _damage(fake_root, "dfe_cin_c1_referrals_rereferrals_2013_2025.csv",
            "Referrals and Re-referrals,632830", "Referrals and Re-referrals,lots")
    with pytest.raises(DataSchemaError) as err:
        data.load_table("referrals")
    msg = str(err.value)
    assert "dfe_cin_c1_referrals_rereferrals_2013_2025.csv" in msg
    assert "'referral_count'" in msg and "line 2" in msg and "'lots'" in msg


def test_missing_column_is_named(fake_root):
    _damage(fake_root, "dfe_cin_b1_children_in_need_2013_2025.csv", "At31_episodes", "At_31")
    with pytest.raises(DataSchemaError, match=r"dfe_cin_b1_children_in_need_2013_2025.csv: column 'At31_episodes' is missing"):
        data.load_table("cin")


def test_bad_la_code_is_named(fake_root):
    _damage(fake_root, "ons_population_0to17_by_la_2012_2024.csv", ",825,E06000060,", ",82x,E06000060,")
    with pytest.raises(DataSchemaError, match=r"column 'old_la_code' line \d+: '82x' is not a three-digit LA code"):
        data.load_table("population")


def test_bad_year_is_named(fake_root):
    _damage(fake_root, "dfe_cin_c4_s47_icpc_2013_2025.csv", "2025,Reporting year,National", "20X5,Reporting year,National")
    with pytest.raises(DataSchemaError, match=r"column 'time_period' line 2: '20X5' is not a year"):
        data.load_table("s47")


def test_missing_file_says_how_to_restore(fake_root):
    (fake_root / "data" / "official" / "dfe_csww_indicators_2017_2025.csv").unlink()
    with pytest.raises(DataSchemaError, match="file not found; restore it"):
        data.load_table("workforce")


def test_conflicting_repeats_become_ambiguous_not_guessed():
    started = data.la_values("cla", "cla_started")
    assert started.loc[("921", 2010), "status"] == "ambiguous in source"
    stock = data.la_values("cla", "cla_at_31_march")
    assert stock.loc[("921", 2010), "value"] == 179  # the repeats agree on the stock


def test_unknown_cla_population_type_is_named(fake_root):
    _damage(fake_root, "dfe_cla_number_rate_2019_2025.csv", "Children ceasing to be looked after each year",
            "Children leaving")
    with pytest.raises(DataSchemaError, match=r"dfe_cla_number_rate_2019_2025.csv: column 'population_type' line 2: "
                                              r"'Children leaving' is not one of"):
        data.load_table("cla")


# ------------------------------------------------------------------------------ vintages (as of a quarter)

from cscbook.core.quarters import Quarter
from cscbook.data.releases import latest_year_published  # noqa: E402


@pytest.mark.parametrize(
    "table, quarter, year",
    [
        # years before the oldest installed release: the release calendar (data/curated/releases.csv)
        ("referrals", "2013Q4", 2013), ("referrals", "2014Q2", 2013), ("referrals", "2019Q2", 2018),
        ("referrals", "2025Q3", 2024), ("cla", "2025Q3", 2024), ("workforce", "2013Q4", 2012),
        ("workforce", "2025Q4", 2024), ("population", "2014Q2", 2012), ("population", "2025Q2", 2023),
        # from the publication date of the installed release (data/official/manifest.yml)
        ("referrals", "2025Q4", 2025), ("cla", "2025Q4", 2025), ("workforce", "2026Q1", 2025),
        ("population", "2025Q3", 2024),
        # nothing newer is installed: a later quarter cannot show a year no installed file holds
        ("referrals", "2026Q4", 2025), ("population", "2026Q4", 2024),
    ],
)
def test_latest_year_published(table, quarter, year):
    assert latest_year_published(table, Quarter.parse(quarter)) == year


def test_load_table_as_of_a_quarter_shows_only_what_was_published_then():
    q = Quarter(2019, 2)
    t = data.load_table("referrals", q)
    assert t["year"].max() == 2018 and t["year"].min() == 2013
    assert data.la_values("referrals", "referral_count", q).loc[("825", 2014), "value"] == 7317
    assert ("825", 2019) not in data.la_values("referrals", "referral_count", q).index
    cla = data.la_values("cla", "cla_at_31_march", Quarter(2014, 2))
    assert sorted(set(cla.index.get_level_values("year"))) == [2010, 2011, 2012, 2013]
    # before the first referral figures were published, nothing
    assert data.load_table("referrals", Quarter(2013, 3)).empty
    # the whole table when no quarter is given
    assert data.load_table("referrals")["year"].max() == 2025


def test_release_for_names_the_file_from_the_manifest():
    rel = data.release_for("referrals", Quarter(2026, 1))
    assert rel.file == "dfe_cin_c1_referrals_rereferrals_2013_2025.csv"
    assert rel.published.isoformat() == "2025-10-30" and rel.years == (2013, 2025)


def test_manifest_names_the_file_the_table_is_read_from(fake_root):
    official = fake_root / "data" / "official"
    (official / "dfe_csww_indicators_2017_2025.csv").rename(official / "workforce_renamed.csv")
    text = (official / "manifest.yml").read_text()
    (official / "manifest.yml").write_text(text.replace("file: dfe_csww_indicators_2017_2025.csv",
                                                        "file: workforce_renamed.csv"))
    v = data.la_values("workforce", "agency_rate_fte").loc[("825", 2023), "value"]
    assert v == pytest.approx(32.8)


def test_broken_manifest_is_one_line(fake_root):
    (fake_root / "data" / "official" / "manifest.yml").write_text("tables: [unclosed\n")
    with pytest.raises(DataSchemaError, match=r"manifest.yml: not valid YAML .*restore it") as err:
        data.load_table("referrals")
    assert "\n" not in str(err.value)
