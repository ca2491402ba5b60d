import pytest

from cscbook.core.errors import UnknownCouncilError
from cscbook.data import register


@pytest.mark.parametrize(
    "query, code",
    [("Buckinghamshire", "825"), ("buckinghamshire council", "825"), ("825", "825"), (825, "825"),
     ("E10000002", "825"), ("E06000060", "825"), ("West Sussex", "938"), ("938", "938"),
     ("Barking & Dagenham", "301"), ("Dorset", "838"), ("835", "835"), ("Cumbria", "909"),
     ("Bournemouth, Christchurch and Poole", "839")],
)
def test_resolve_by_code_or_name(query, code):
    assert register.resolve(query).code == code


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownCouncilError) as err:
        register.resolve("Bukinghamshire")
    msg = str(err.value)
    assert "'Bukinghamshire'" in msg and "'Buckinghamshire'" in msg and "\n" not in msg


def test_unknown_code():
    with pytest.raises(UnknownCouncilError, match="no local authority has old_la_code 999"):
        register.resolve("999")


def test_council_facts():
    bucks = register.resolve("825")
    assert bucks.region == "South East"
    assert bucks.new_codes == ("E10000002", "E06000060")
    wsx = register.resolve("West Sussex")
    assert wsx.neighbours == ("916", "881", "850", "919", "937", "865", "802", "931", "803", "878")
    reg = register.register()
    assert 150 <= int((reg["last_year"] == 2025).sum()) <= 155


def test_reorganisations_match_the_years_in_the_data():
    reg = register.register()
    reorg = register.reorganisations()
    for _, row in reorg.iterrows():
        if row["last_year_of_predecessor"]:
            assert reg.at[row["predecessor_code"], "last_year"] == int(row["last_year_of_predecessor"])
            assert reg.at[row["successor_code"], "first_year"] <= int(row["first_year_of_successor"])
            c1_first = reg.at[row["successor_code"], "first_year"]
            assert c1_first >= int(row["effective_year"]) - 1
    assert set(reorg["effective_year"]) == {"2019", "2020", "2021", "2023"}
