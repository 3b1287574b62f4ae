"""The COUNTER R5.0 / R5.1 reader (docs/eresources.md §8): tabular and JSON layouts load one
row per figure; every malformed report stops with file, line and column, never a value."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from libstats.config import Source
from libstats.errors import InputError
from libstats.profiles import Profile, ResolvedProfile
from libstats.readers.counter import CounterSource, check_overlaps, load_counter

INSTITUTION = "Example Public Library Zyxwv-7731"   # a data value: never in an error
DATABASE = "Example Database Qjx-5520"
PERIOD = "Begin_Date=2024-01-01; End_Date=2024-03-31"
DR_HEADINGS = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
               "Data_Type", "Access_Method", "Metric_Type", "Reporting_Period_Total",
               "Jan-2024", "Feb-2024", "Mar-2024"]
SECRETS = ("Zyxwv", "Qjx")


def resolved(name: str = "counter") -> ResolvedProfile:
    source = Source(name=name, kind="eresources", format="counter_r5", path="x")
    return ResolvedProfile(source, Profile(name="counter_r5", kind="eresources", columns={}),
                           {}, {}, {})


def header(report_id="DR", release="5", period=PERIOD, exceptions="", **override):
    rows = [["Report_Name", "Database Report"], ["Report_ID", report_id],
            ["Release", release], ["Institution_Name", INSTITUTION],
            ["Institution_ID", "ISNI:0000000000000000"],
            ["Metric_Types", "Searches_Regular; Total_Item_Requests"],
            ["Report_Filters", "Access_Method=Regular"], ["Report_Attributes", ""],
            ["Exceptions", exceptions], ["Reporting_Period", period],
            ["Created", "2024-04-02T10:00:00Z"], ["Created_By", "Example Vendor"]]
    if release == "5.1":
        rows.append(["Registry_Record", "https://registry.example.org/platform/1"])
    for i, value in override.items():      # r4="Institution" renames header row 4
        rows[int(i[1:]) - 1][0] = value
    return rows


def dr_body(database=DATABASE, searches=("5", "3", "2", "10"), requests=("1", "0", "4", "5")):
    common = [database, "Example Publisher", "", "Example Platform", "EX:1", "Database",
              "Regular"]
    return [common + ["Searches_Regular", searches[3], *searches[:3]],
            common + ["Total_Item_Requests", requests[3], *requests[:3]]]


def write(path, rows, delimiter="\t"):
    if delimiter == "\t":
        path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    return path


def tabular(tmp_path, name="dr.tsv", hdr=None, headings=DR_HEADINGS, body=None, **kw):
    rows = (hdr or header(**kw)) + [[]] + [headings] + (dr_body() if body is None else body)
    return write(tmp_path / name, rows, "," if name.endswith(".csv") else "\t")


def load(*paths, name="counter"):
    con = duckdb.connect()
    return con, load_counter(con, resolved(name), list(paths))


def refused(*paths, line, words=()) -> str:
    with pytest.raises(InputError) as info:
        con, ing = load(*paths)
        check_overlaps(con, [ing])
    message = str(info.value)
    assert paths[-1].name in message, message
    assert f"line {line}" in message, message
    for w in words:
        assert w in message, message
    for secret in SECRETS:
        assert secret not in message, message
    return message


# ---- reports that load --------------------------------------------------------------------

def test_dr_r50_tsv(tmp_path):
    con, ing = load(tabular(tmp_path))
    assert isinstance(ing, CounterSource) and ing.stored == []
    assert ing.header == ["__file", "__line", "report_id", "report_family", "release",
                          "native_name", "platform", "publisher", "data_type", "access_method",
                          "metric_type", "month", "count"]
    assert ing.files[0].rows == 6 and len(ing.files[0].sha256) == 64
    rows = con.execute("SELECT __line, report_id, report_family, release, native_name, "
                       "platform, data_type, access_method, metric_type, month, count "
                       "FROM raw_counter ORDER BY rowid").fetchall()
    assert rows[0] == (15, "DR", "DR", "5.0", DATABASE, "Example Platform", "Database",
                       "Regular", "Searches_Regular", "2024-01", 5)
    assert [r[-2:] for r in rows[3:]] == [("2024-01", 1), ("2024-02", 0), ("2024-03", 4)]
    assert {r[0] for r in rows[3:]} == {16}
    assert ing.locate(con, 4) == (ing.files[0].path, 16)


def test_dr_r51_tsv_with_bom(tmp_path):
    path = tabular(tmp_path, release="5.1", report_id="DR_D1")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    con, ing = load(path)
    assert con.execute("SELECT DISTINCT release, report_id, __line FROM raw_counter "
                       "WHERE metric_type = 'Searches_Regular'").fetchall() == [
        ("5.1", "DR_D1", 16)]
    assert ing.locate(con, 0) == (path, 16)


def test_pr_csv_r51_quoted(tmp_path):
    headings = ["Platform", "Data_Type", "Access_Method", "Metric_Type",
                "Reporting_Period_Total", "Jan-2024", "Feb-2024", "Mar-2024"]
    body = [['Example "Platform", Inc.', "Book", "Regular", "Searches_Platform", "6", "1", "2",
             "3"],
            ['Example "Platform", Inc.', "Book", "TDM", "Total_Item_Requests", "0", "0", "0",
             "0"]]
    hdr = header("PR", "5.1")
    hdr[3][1] = INSTITUTION + ", Main Branch"
    con, _ = load(tabular(tmp_path, "pr.csv", hdr=hdr, headings=headings, body=body))
    assert con.execute("SELECT DISTINCT native_name, platform, publisher FROM raw_counter"
                       ).fetchall() == [('Example "Platform", Inc.', 'Example "Platform", Inc.',
                                         None)]
    assert con.execute("SELECT sum(count) FILTER (metric_type = 'Searches_Platform'), "
                       "count(*) FILTER (access_method = 'TDM') FROM raw_counter"
                       ).fetchone() == (6, 3)


def test_tr_b1_and_tr_j1(tmp_path):
    b1 = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
          "Print_ISSN", "Online_ISSN", "URI", "Data_Type", "YOP", "Metric_Type",
          "Reporting_Period_Total", "Jan-2024", "Feb-2024", "Mar-2024"]
    book = ["An Example Book", "Example Press", "", "Example Books", "10.5555/x", "", "",
            "", "", "", "Book", "2020"]
    j1 = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID",
          "Print_ISSN", "Online_ISSN", "URI", "Metric_Type", "Reporting_Period_Total",
          "Jan-2024", "Feb-2024", "Mar-2024"]
    journal = ["Example Journal", "Example Press", "", "Example Journals", "", "", "",
               "0000-0000", ""]
    p1 = tabular(tmp_path, "tr_b1.tsv", hdr=header("TR_B1", "5.1"), headings=b1,
                 body=[book + ["Total_Item_Requests", "7", "2", "0", "5"],
                       book + ["Unique_Title_Requests", "2", "1", "0", "1"]])
    p2 = tabular(tmp_path, "tr_j1.csv", hdr=header("TR_J1", "5"), headings=j1,
                 body=[journal + ["Unique_Item_Requests", "3", "1", "1", "1"]])
    con, ing = load(p1, p2)
    check_overlaps(con, [ing])
    assert [f.rows for f in ing.files] == [6, 3]
    assert con.execute("SELECT report_id, native_name, sum(count) FROM raw_counter "
                       "GROUP BY ALL ORDER BY 1").fetchall() == [
        ("TR_B1", "Example Books", 9), ("TR_J1", "Example Journals", 3)]
    assert ing.locate(con, 6) == (p2, 15)


def json_r50(exceptions=None, items=None):
    item = {"Database": DATABASE, "Publisher": "Example Publisher", "Publisher_ID": [],
            "Platform": "Example Platform", "Data_Type": "Database",
            "Access_Method": "Regular",
            "Performance": [
                {"Period": {"Begin_Date": "2024-01-01", "End_Date": "2024-01-31"},
                 "Instance": [{"Metric_Type": "Searches_Regular", "Count": 4},
                              {"Metric_Type": "Total_Item_Requests", "Count": 2}]},
                {"Period": {"Begin_Date": "2024-02-01", "End_Date": "2024-02-29"},
                 "Instance": [{"Metric_Type": "Searches_Regular", "Count": 1}]}]}
    head = {"Report_Name": "Database Master Report", "Report_ID": "DR", "Release": "5",
            "Institution_Name": INSTITUTION, "Created": "2024-04-02T10:00:00Z",
            "Report_Filters": [{"Name": "Begin_Date", "Value": "2024-01-01"},
                               {"Name": "End_Date", "Value": "2024-03-31"}],
            "Exceptions": exceptions or []}
    return {"Report_Header": head, "Report_Items": [item] if items is None else items}


def json_r51():
    item = {"Title": "An Example Book", "Item_ID": {"DOI": "10.5555/x"},
            "Platform": "Example Books", "Publisher": "Example Press",
            "Attribute_Performance": [
                {"Data_Type": "Book", "YOP": "2020", "Access_Type": "Controlled",
                 "Access_Method": "Regular",
                 "Performance": {"Total_Item_Requests": {"2024-01": 3, "2024-03": 0},
                                 "Unique_Title_Requests": {"2024-01": 1}}}]}
    head = {"Report_Name": "Title Report", "Report_ID": "TR", "Release": "5.1",
            "Institution_Name": INSTITUTION,
            "Report_Filters": {"Begin_Date": "2024-01-01", "End_Date": "2024-03-31"}}
    return {"Report_Header": head, "Report_Items": [item]}


def write_json(path, doc):
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def line_of(path, text, nth=0) -> int:
    lines = [i for i, s in enumerate(path.read_text().splitlines(), 1) if text in s]
    return lines[nth]


def test_json_r50(tmp_path):
    path = write_json(tmp_path / "dr.json", json_r50())
    con, _ = load(path)
    rows = con.execute("SELECT __line, release, native_name, data_type, access_method, "
                       "metric_type, month, count FROM raw_counter ORDER BY rowid").fetchall()
    assert [r[1:] for r in rows] == [
        ("5.0", DATABASE, "Database", "Regular", "Searches_Regular", "2024-01", 4),
        ("5.0", DATABASE, "Database", "Regular", "Total_Item_Requests", "2024-01", 2),
        ("5.0", DATABASE, "Database", "Regular", "Searches_Regular", "2024-02", 1)]
    # each figure points at the line where its Instance object starts
    assert rows[1][0] == line_of(path, '"Metric_Type": "Total_Item_Requests"') - 1


def test_json_r51(tmp_path):
    path = write_json(tmp_path / "tr.json", json_r51())
    con, ing = load(path)
    assert con.execute("SELECT report_family, release, native_name, data_type, metric_type, "
                       "month, count FROM raw_counter ORDER BY rowid").fetchall() == [
        ("TR", "5.1", "Example Books", "Book", "Total_Item_Requests", "2024-01", 3),
        ("TR", "5.1", "Example Books", "Book", "Total_Item_Requests", "2024-03", 0),
        ("TR", "5.1", "Example Books", "Book", "Unique_Title_Requests", "2024-01", 1)]
    assert ing.locate(con, 2) == (path, line_of(path, '"Unique_Title_Requests"'))


def test_json_exception_3030_is_an_empty_report(tmp_path):
    doc = json_r50([{"Code": 3030, "Severity": "Error", "Message": "No Usage Available",
                     "Data": INSTITUTION}], items=[])
    con, ing = load(write_json(tmp_path / "dr.json", doc))
    assert ing.rows == 0
    assert con.execute("SELECT count(*) FROM raw_counter").fetchone()[0] == 0


def test_tabular_exception_3030_accepted(tmp_path):
    _, ing = load(tabular(tmp_path, exceptions="3030: No Usage Available for Requested "
                                                 "Dates", body=[]))
    assert ing.rows == 0


# ---- reports refused ----------------------------------------------------------------------

def test_wrong_header_name(tmp_path):
    refused(tabular(tmp_path, r4="Institution"), line=4, words=["Institution_Name"])


def test_r51_with_12_header_rows(tmp_path):
    hdr = header(release="5.1")[:12]
    refused(tabular(tmp_path, hdr=hdr), line=13, words=["Registry_Record", "13 header rows"])


def test_r50_with_13_header_rows(tmp_path):
    hdr = header(release="5.1")
    hdr[2][1] = "5"
    refused(tabular(tmp_path, hdr=hdr), line=13, words=["blank", "12 header rows"])


def test_unknown_report_id(tmp_path):
    refused(tabular(tmp_path, report_id="Zyxwv_X9"), line=2, words=["Report_ID"])
    message = refused(tabular(tmp_path, report_id="IR_A1"), line=2)
    assert "IR_A1" in message


def test_bad_reporting_period(tmp_path):
    refused(tabular(tmp_path, period="Begin_Date=2024-13-01; End_Date=2024-03-31"), line=10,
            words=["Reporting_Period"])
    refused(tabular(tmp_path, period="January to March"), line=10, words=["Reporting_Period"])


def test_month_outside_period(tmp_path):
    refused(tabular(tmp_path, period="Begin_Date=2024-01-01; End_Date=2024-02-29"), line=14,
            words=["Mar-2024", "outside"])


def test_unknown_metric(tmp_path):
    body = dr_body()
    body[1][7] = "Zyxwv Downloads"
    refused(tabular(tmp_path, body=body), line=16, words=["Metric_Type", "unknown metric"])
    body[1][7] = "Searches_Platform"          # a COUNTER metric, but not a DR one
    message = refused(tabular(tmp_path, body=body), line=16, words=["Searches_Platform"])
    assert "not a metric of DR" in message


@pytest.mark.parametrize("bad", ["-1", "2.5", "Zyxwv"],
                         ids=["negative", "decimal", "text"])
def test_bad_count(tmp_path, bad):
    refused(tabular(tmp_path, body=dr_body(requests=("1", bad, "4", "5"))), line=16,
            words=["Feb-2024", "whole number"])


def test_total_is_not_the_sum(tmp_path):
    refused(tabular(tmp_path, body=dr_body(searches=("5", "3", "2", "11"))), line=15,
            words=["Reporting_Period_Total"])


def test_unknown_body_column(tmp_path):
    headings = DR_HEADINGS[:7] + ["Patron_Barcode"] + DR_HEADINGS[7:]
    body = [row[:7] + ["Zyxwv-0001"] + row[7:] for row in dr_body()]
    refused(tabular(tmp_path, headings=headings, body=body), line=14,
            words=["Patron_Barcode", "unknown column"])


def test_json_informational_exception_is_a_warning(tmp_path):
    doc = json_r50([{"Code": 3031, "Severity": "Warning",
                     "Message": "Usage Not Ready for " + INSTITUTION, "Data": INSTITUTION}])
    path = write_json(tmp_path / "dr.json", doc)
    con, ing = load(path)
    assert con.execute(f"SELECT count(*) FROM {ing.table}").fetchone()[0] > 0
    [w] = ing.warnings
    assert w["line"] == line_of(path, '"Code": 3031') - 1 and "3031" in w["what"]
    assert all(secret not in str(ing.warnings) for secret in SECRETS)


def test_json_error_exception_stops(tmp_path):
    doc = json_r50([{"Code": 2010, "Severity": "Error",
                     "Message": "Requestor is Not Authorized for " + INSTITUTION,
                     "Data": INSTITUTION}])
    path = write_json(tmp_path / "dr.json", doc)
    message = refused(path, line=line_of(path, '"Code": 2010') - 1, words=["2010", "error"])
    assert "Not Authorized" not in message


def test_error_exception_stops_even_when_broken_reports_are_quarantined(tmp_path):
    good = tabular(tmp_path, name="a.tsv")
    bad = tabular(tmp_path, name="b.tsv", exceptions="3020: Invalid Date Arguments")
    con = duckdb.connect()
    with pytest.raises(InputError) as info:
        load_counter(con, resolved(), [good, bad], max_bad_share=0.9)
    assert "b.tsv" in str(info.value) and "3020" in str(info.value)


def test_tabular_informational_exceptions_are_warnings(tmp_path):
    _, ing = load(tabular(tmp_path, exceptions="3032: Usage No Longer Available (" + INSTITUTION
                          + "); 3040: Partial Data Returned"))
    assert [(w["line"], w["column"]) for w in ing.warnings] == [(9, "Exceptions")] * 2
    assert "3032" in ing.warnings[0]["what"] and "3040" in ing.warnings[1]["what"]
    assert all(secret not in str(ing.warnings) for secret in SECRETS)


def test_blank_month_cell_is_zero(tmp_path):
    con, ing = load(tabular(tmp_path, body=dr_body(requests=("1", "", "4", "5"))))
    assert con.execute(f"SELECT count FROM {ing.table} WHERE metric_type = "
                       f"'Total_Item_Requests' AND month = '2024-02'").fetchone() == (0,)


@pytest.mark.parametrize("period", ["2024-01-01 to 2024-03-31", "Begin_Date=2024-01-01;End_Date"
                                    "=2024-03-31", "begin_date = 2024-01; end_date = 2024-03",
                                    "2024-01 to 2024-03"])
def test_reporting_period_forms(tmp_path, period):
    con, ing = load(tabular(tmp_path, period=period))
    assert con.execute(f"SELECT min(month), max(month) FROM {ing.table}").fetchone() == \
        ("2024-01", "2024-03")


def test_header_names_in_another_case_or_spacing_are_matched_with_a_warning(tmp_path):
    headings = ["database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
                "Data Type", "Access_Method", "METRIC_TYPE", "Reporting_Period_Total",
                "JAN-2024", "Feb-2024", "mar-2024"]
    con, ing = load(tabular(tmp_path, headings=headings, r2="report_id", r10="Reporting Period"))
    assert con.execute(f"SELECT count(*), sum(count) FROM {ing.table}").fetchone() == (6, 15)
    assert sorted(w["column"] for w in ing.warnings) == sorted(
        ["Report_ID", "Reporting_Period", "Database", "Data_Type", "Metric_Type", "Jan-2024",
         "Mar-2024"])
    assert {w["line"] for w in ing.warnings} == {2, 10, 14}


def test_a_broken_report_is_quarantined_below_the_share(tmp_path):
    good = [tabular(tmp_path, name=f"{m}.tsv", period=f"{m} to {m}",
                    headings=DR_HEADINGS[:9] + [f"{month}-2024"],
                    body=[r[:8] + [r[9], r[9]] for r in dr_body()])
            for m, month in (("2024-01", "Jan"), ("2024-02", "Feb"), ("2024-03", "Mar"))]
    broken = write_json(tmp_path / "z.json", json_r50())
    broken.write_text(broken.read_text()[:40], encoding="utf-8")
    con = duckdb.connect()
    ing = load_counter(con, resolved(), good + [broken], max_bad_share=0.25)
    [q] = ing.quarantined
    assert q["file"] == broken and q["line"] is not None and "JSON" in q["problem"]
    assert con.execute(f"SELECT count(DISTINCT __file) FROM {ing.table}").fetchone() == (3,)
    with pytest.raises(InputError) as info:          # 1 of 4 is more than 0.2
        load_counter(duckdb.connect(), resolved(), good + [broken], max_bad_share=0.2)
    assert "z.json" in str(info.value) and "max_bad_report_share" in str(info.value)


def test_truncated_json(tmp_path):
    path = tmp_path / "dr.json"
    text = json.dumps(json_r50(), indent=2)
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    refused(path, line=len(path.read_text().splitlines()), words=["not valid JSON"])


def test_json_bad_count_and_unknown_field(tmp_path):
    doc = json_r51()
    doc["Report_Items"][0]["Attribute_Performance"][0]["Performance"][
        "Total_Item_Requests"]["2024-03"] = -2
    path = write_json(tmp_path / "tr.json", doc)
    refused(path, line=line_of(path, '"Total_Item_Requests"'), words=["Total_Item_Requests"])
    doc = json_r51()
    doc["Report_Items"][0]["Patron"] = INSTITUTION
    path = write_json(tmp_path / "tr.json", doc)
    refused(path, line=line_of(path, '"Report_Items"') + 1, words=["Patron", "unknown field"])


def test_json_month_outside_period(tmp_path):
    doc = json_r50()
    doc["Report_Header"]["Report_Filters"][1]["Value"] = "2024-01-31"
    path = write_json(tmp_path / "dr.json", doc)
    refused(path, line=line_of(path, '"Begin_Date": "2024-02-01"') - 1, words=["outside"])


def test_overlap_between_two_files(tmp_path):
    first = tabular(tmp_path, "dr_q1.tsv")
    later = tabular(tmp_path, "dr_march.tsv", release="5.1", report_id="DR_D1",
                    period="Begin_Date=2024-03-01; End_Date=2024-03-31",
                    headings=DR_HEADINGS[:9] + ["Mar-2024"],
                    body=[row[:8] + ["1", "1"] for row in dr_body()])
    message = refused(first, later, line=16, words=["dr_q1.tsv", "counted twice"])
    assert "dr_march.tsv, line 16" in message


def test_overlap_across_sources(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    con = duckdb.connect()
    one = load_counter(con, resolved("one"), [tabular(tmp_path / "a", "dr.tsv")])
    two = load_counter(con, resolved("two"), [write_json(tmp_path / "b" / "dr.json",
                                                         json_r50())])
    with pytest.raises(InputError) as info:
        check_overlaps(con, [one, two])
    assert "dr.json" in str(info.value) and "dr.tsv" in str(info.value)
    assert "Qjx" not in str(info.value)


def test_book_and_journal_views_of_one_platform_do_not_overlap(tmp_path):
    """TR_B1 and TR_J1 hold different titles of the same platform; a full TR holds both."""
    b1 = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
          "Print_ISSN", "Online_ISSN", "URI", "Data_Type", "YOP", "Metric_Type",
          "Reporting_Period_Total", "Jan-2024", "Feb-2024", "Mar-2024"]
    j1 = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID",
          "Print_ISSN", "Online_ISSN", "URI", "Metric_Type", "Reporting_Period_Total",
          "Jan-2024", "Feb-2024", "Mar-2024"]
    book = ["An Example Book", "Example Press", "", "Example Hub", "", "", "", "", "", "",
            "Book", "2020", "Total_Item_Requests", "3", "1", "1", "1"]
    journal = ["Example Journal", "Example Press", "", "Example Hub", "", "", "", "", "",
               "Total_Item_Requests", "3", "1", "1", "1"]
    p1 = tabular(tmp_path, "b1.tsv", hdr=header("TR_B1", "5.1"), headings=b1, body=[book])
    p2 = tabular(tmp_path, "j1.tsv", hdr=header("TR_J1", "5.1"), headings=j1, body=[journal])
    con, ing = load(p1, p2)
    check_overlaps(con, [ing])
    full = tabular(tmp_path, "tr.tsv", hdr=header("TR", "5.1"), headings=b1, body=[book])
    refused(p1, p2, full, line=16, words=["tr.tsv", "counted twice"])
