"""Every problem in CIN census returns in one run: ``cscbook validate``, the lenient and strict reader, in-year
extracts, 2025-26 elements, and no child-level value in any message (SYNTHETIC returns generated in code)."""

import csv
from pathlib import Path

import pytest
import synthetic_cin as S

from cscbook.cli import main
from cscbook.core.errors import CSCBookError
from cscbook.data import cincensus as C
from cscbook.data import cinextract, cinheader
from cscbook.data import cinrules as R
from cscbook.data.validate import CSV_NAME, SUMMARY_NAME, check_output_dir, validate_command

HOSTILE = Path(__file__).parent / "hostile_cin"


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    return S.generate_problems(tmp_path_factory.mktemp("cinproblems"))


@pytest.fixture(scope="module")
def validated(problems, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    text, ok = validate_command([str(f) for f in problems.files], "825", str(out))
    with open(out / CSV_NAME, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return text, ok, rows, out


EXPECTED = {  # kind -> (element, words in the message, DfE rule)
    "code_list": ("ReferralSource", "the code 'RB' is not in DfE's code list; allowed: 1A, 1B", ""),
    "code_list_2024": ("ReferralSource", "the code 'ZZ' is not in DfE's code list", ""),
    "birth_apostrophe": ("PersonBirthDate", "not a valid xs:date (value withheld)", ""),
    "upn_apostrophe": ("UPN", "(value withheld)", ""),
    "mixed_content": ("ChildIdentifiers", "text where only elements are allowed", ""),
    "date_order": ("AssessmentActualStartDate", "is before the CINreferralDate", "1103"),
    "after_reference": ("CPPstartDate", "a date after the reference date 31 March 2025", "8720"),
    "closure_before_year": ("CINclosureDate", "a closure before the collection year 2025", "8620"),
    "duplicate_child": ("LAchildID", "the same LAchildID as the Child at line", "8510"),
    "duplicate_episode": ("CINdetails", "a second episode of the same child with the same CINreferralDate", "8820"),
    "date_missing": ("CINreferralDate", "not a date (value withheld)", "8600"),
    "newer_elements": ("Sex", "Sex (in ChildIdentifiers, 2 times) is newer than the newest DfE schema here (2024)", ""),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_one_run_lists_each_problem_where_it_is(problems, validated, kind):
    text, ok, rows, _ = validated
    element, words, code = EXPECTED[kind]
    name, line = problems.where[kind]
    hits = [r for r in rows if r["file"] == name and r["line"] == str(line) and r["element"] == element]
    assert hits, f"{kind}: nothing reported at {name} line {line} element {element}"
    assert any(words in r["message"] and r["dfe_rule"] == code for r in hits)
    # and the printed summary shows it too, on one line naming file, line and element
    assert any(f"{name}, line {line}, element {element}: " in ln and words in ln for ln in text.splitlines())


def test_the_returns_are_used_and_the_exclusions_counted_by_reason(problems, validated):
    text, ok, rows, _ = validated
    assert ok
    result = C.read_returns(problems.files, "825")
    by_file = {f["file"]: f for f in result.report["files"]}
    assert by_file[problems.files[1].name]["excluded"] == problems.excluded
    assert by_file[problems.files[0].name]["excluded"] == {"schema": 1}
    total = dict(problems.excluded)
    total["schema"] += 1
    assert result.excluded == total
    assert "excluded episodes by reason: a date missing or not a date 2" in text
    # the 2025-26 element that stands where GenderCurrent was is a warning, not an error
    assert any(p.severity == "warning" and "where newer elements stand" in p.message for p in result.problems)
    assert any("PreProceedingsandFGDM (in CINdetails, once)" in p.message for p in result.problems)


def test_year_and_reference_date_disagreeing_is_a_warning_naming_both(problems):
    result = C.read_returns(problems.files, "825")
    notes = [p.text() for p in result.warnings if p.reason == "year_reference"]
    assert notes == [f"{problems.files[1].name}, line 7, element Year: warning: Year 2024 and ReferenceDate 2025-03-31 "
                     "disagree: the ReferenceDate governs, read as collection year 2025 (1 April 2024 to 31 March "
                     "2025) [DfE 100]; set Year to 2025 to match the ReferenceDate"]
    assert result.report["files"][1]["collection_year"] == 2025


def test_no_child_level_value_in_any_message(problems, validated):
    text, ok, rows, out = validated
    result = C.read_returns(problems.files, "825")
    printed = text + (out / SUMMARY_NAME).read_text() + "\n".join(p.text() for p in result.problems) \
        + repr(result.report) + repr(result.problems)
    for secret in problems.secrets + ["11-11-28", "5000000017"]:
        assert secret not in printed, secret
    assert "SYNP" not in printed
    # the local report is for fixing records: it names the children and holds the withheld values
    blob = (out / CSV_NAME).read_text()
    assert "SYNP9000002" in blob and "20'11-11-28" in blob and "2025-02-30" in blob


def test_strict_refuses_every_return_with_an_error_listing_each(problems):
    with pytest.raises(cinheader.CensusError) as err:
        C.read_returns(problems.files, "825", strict=True)
    lines = str(err.value).splitlines()
    for f in problems.files:
        assert f"{f.name}: refused: --strict refuses any error" in "\n".join(lines)
    assert any("the code 'RB' is not in DfE's code list" in ln for ln in lines)
    assert any("the code 'ZZ' is not in DfE's code list" in ln for ln in lines)


def test_several_broken_files_are_all_reported_in_one_run(problems):
    files = [HOSTILE / "malformed.xml", HOSTILE / "other_council.xml", problems.files[1]]
    with pytest.raises(cinheader.CensusError) as err:
        C.read_returns(files, "825", strict=True)
    text = str(err.value)
    assert "malformed.xml, line 26: malformed XML" in text
    assert "other_council.xml: the return is from council 938" in text
    name, line = problems.where["code_list"]
    assert f"{name}, line {line}, element ReferralSource: does not match DfE's CIN census schema 2024: the code 'RB'" in text
    assert f"{name}: refused: --strict refuses any error and it has 12" in text


def test_a_return_with_too_many_bad_episodes_is_refused_with_the_share(tmp_path):
    path = tmp_path / "half.xml"
    path.write_text((HOSTILE / "closure_before_year.xml").read_text())
    with pytest.raises(cinheader.CensusError, match=r"half\.xml: refused: 1 of its 2 episodes \(50%\) break a rule, more than "
                                            r"the 10% a return may have"):
        C.read_returns([path], "825")


def _in_year(path: Path, year_text: str, reference: str, children: list[str]) -> Path:
    path.write_text(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- SYNTHETIC -->\n<Message>\n<Header>\n<CollectionDetails>\n"
        f"<Collection>CIN</Collection>\n<Year>{year_text}</Year>\n<ReferenceDate>{reference}</ReferenceDate>\n"
        "</CollectionDetails>\n<Source>\n<SourceLevel>L</SourceLevel>\n<LEA>825</LEA>\n</Source>\n</Header>\n"
        "<Children>\n" + "".join(children) + "</Children>\n</Message>\n", encoding="utf-8")
    return path


def test_an_in_year_extract_is_read_to_its_last_complete_month(tmp_path):
    kids = [S._child(f"SYNI{i:07d}", "<GenderCurrent>1</GenderCurrent>\n", S._details(d))
            for i, d in enumerate(["2022-04-05", "2022-05-06", "2022-05-20", "2022-06-30", "2022-07-02"])]
    path = _in_year(tmp_path / "inyear.xml", "2022", "2022-07-21", kids)
    result = C.read_returns([path], "825")
    assert [str(m) for m in result.monthly.index] == ["2022-04", "2022-05", "2022-06"]
    assert result.monthly["referrals"].tolist() == [1.0, 2.0, 1.0]
    assert result.report["partial_month_left_out"] == "2022-07" and result.report["files"][0]["in_year"]
    reasons = {p.reason for p in result.warnings}
    assert reasons == {"in_year", "year_reference"}
    assert any("Year 2022 and ReferenceDate 2022-07-21 disagree: the ReferenceDate governs, read as collection "
               "year 2023" in p.message for p in result.warnings)
    assert "2022-07 is incomplete" in cinextract.summary(result)


def test_an_in_year_extract_before_a_later_return_is_refused(tmp_path):
    early = _in_year(tmp_path / "a.xml", "2023", "2022-07-21",
                     [S._child("SYNI0000001", "<GenderCurrent>1</GenderCurrent>\n", S._details("2022-04-05"))])
    later = _in_year(tmp_path / "b.xml", "2024", "2024-03-31",
                     [S._child("SYNI0000002", "<GenderCurrent>1</GenderCurrent>\n", S._details("2023-04-05"))])
    with pytest.raises(cinheader.CensusError, match=r"a\.xml: an in-year extract \(ReferenceDate 2022-07-21\) is followed by"):
        C.read_returns([early, later], "825")


def test_report_folder_inside_an_edition_output_is_refused(tmp_path):
    (tmp_path / "out" / "editions" / "825-2025Q4").mkdir(parents=True)
    (tmp_path / "out" / "editions" / "825-2025Q4" / "edition.json").write_text("{}")
    for bad in (tmp_path / "out", tmp_path / "out" / "editions" / "x", tmp_path / "out" / "editions" / "825-2025Q4",
                tmp_path / "site" / "_build" / "html"):
        with pytest.raises(CSCBookError, match="never written there"):
            check_output_dir(bad)
    assert check_output_dir(tmp_path / "reports") == (tmp_path / "reports").resolve()


def test_cli_validate_exit_status_lenient_and_strict(problems, tmp_path, capsys):
    files = [str(f) for f in problems.files]
    assert main(["validate", "--cin-census", *files, "--la", "825", "--output", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "report written to" in out and (tmp_path / "r" / CSV_NAME).is_file()
    assert main(["validate", "--cin-census", *files, "--strict"]) == 2
    captured = capsys.readouterr()
    assert "REFUSED" in captured.out and "validate: a return would be refused" in captured.err
    assert "no report written" in captured.out and not (tmp_path / "x").exists()
    assert "SYNP" not in captured.out + captured.err


def test_cli_extract_strict_and_lenient(problems, tmp_path, capsys):
    files = [str(f) for f in problems.files]
    out = tmp_path / "monthly.csv"
    assert main(["extract", "--cin-census", *files, "--la", "825", "--output", str(out), "--strict"]) == 2
    assert not out.exists()
    assert main(["extract", "--cin-census", *files, "--la", "825", "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.is_file() and "excluded 7 of" in text and "SYNP" not in text


def test_csv_report_neutralises_formulas():
    from cscbook.data.validate import report_csv

    p = R.Problem("f.xml", 3, "LAchildID", "duplicate_child", "m", "fix", child="=HYPERLINK(\"x\")", raw="@x")
    text = report_csv([p])
    assert "'=HYPERLINK" in text and ",'@x" in text


def test_cli_build_strict_refuses_before_anything_is_built(problems, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["build", "--la", "825", "--cin-census", *map(str, problems.files), "--strict", "--no-paper",
                 "--quiet", "--output", str(out)])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "refused: --strict refuses any error" in err and "SYNP" not in err


def test_cli_build_reports_the_exclusions_before_it_builds(problems, tmp_path, capsys, monkeypatch):
    from cscbook.build import context

    def stop(*args, **kwargs):  # the build itself is not what is tested here
        raise CSCBookError("stopped after the returns were read")

    monkeypatch.setattr(context.BuildContext, "create", stop)
    code = main(["build", "--la", "825", "--cin-census", *map(str, problems.files), "--no-paper",
                 "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "stopped after the returns were read" in err
    name = problems.files[1].name
    assert f"{name}: excluded 7 of " in err and "a date missing or not a date 2" in err
    assert "Year 2024 and ReferenceDate 2025-03-31 disagree" in err and "SYNP" not in err
