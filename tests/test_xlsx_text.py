"""The XLSX export's own sheet writer puts text in cells exactly as XlsxWriter does, and the
three places where it relies on XlsxWriter's internals still hold for the XlsxWriter installed.

A failure here after an XlsxWriter upgrade means fieldkit/report/export_xlsx.py must be checked
against the new version before the pin in pyproject.toml is raised."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from fieldkit.report import export_xlsx
from fieldkit.report.rows import Column

TESTED_WITH = "3.3"  # the XlsxWriter minor version these tests were last run against
UPGRADE_HINT = (
    f"(XlsxWriter {xlsxwriter.__version__}; fieldkit was checked against {TESTED_WITH}.x: "
    "re-check fieldkit/report/export_xlsx.py before raising the pin in pyproject.toml)"
)
TEXT_COLUMN = [Column("text", "text", 20, "")]
CELL = re.compile(r"<c r=\"A(\d+)\"[^>]*>.*?</c>", re.DOTALL)
STYLE = re.compile(r' s="\d+"')

# Text that takes an escape somewhere: XML specials, control characters, Excel's _xHHHH_
# escapes written literally, the two non-characters, white space at either end.
TRICKY = [
    "_x0041_",
    "_x005F_",
    "_xFFFE_",
    "_xabcd_",
    "_x12",
    "\ufffe",
    "\uffff",
    "\x00",
    "\x07",
    "\x1f",
    "\t",
    "\n",
    "\r",
    " ",
    "\u3000",
    "&",
    "<",
    ">",
    '"',
    "<r>",
    "</r>",
    "接入",
    "😀",
    "=1+1",
]
texts = st.lists(st.one_of(st.text(), st.sampled_from(TRICKY)), min_size=1, max_size=6).map("".join)


def xlsxwriter_rich_passthrough(text: str) -> bool:
    """XlsxWriter writes such a string unescaped, as rich-text XML; fieldkit does not copy that."""
    return text.startswith("<r>") and text.endswith("</r>")


def data_cells(workbook: bytes, sheet: str = "xl/worksheets/sheet1.xml") -> dict[int, str]:
    """Row number -> the <c> element of column A, below the header row, without its style:
    the export marks text a spreadsheet would run as a formula with a quote-prefix style
    (tests/test_report_exports.py), which is not the text's escaping compared here."""
    xml = zipfile.ZipFile(io.BytesIO(workbook)).read(sheet).decode("utf-8")
    return {int(row): STYLE.sub("", cell, count=1) for row, cell in _cells(xml) if int(row) > 1}


def _cells(xml: str) -> list[tuple[str, str]]:
    return [(match.group(1), match.group(0)) for match in CELL.finditer(xml)]


def written_by_xlsxwriter(column: list[str]) -> bytes:
    """The column written cell by cell by XlsxWriter, set up as the export sets it up."""
    buffer = io.BytesIO()
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    with xlsxwriter.Workbook(buffer, options) as workbook:
        sheet = workbook.add_worksheet("Steps")
        sheet.write_string(0, 0, "text")
        for row, text in enumerate(column, start=1):
            sheet.write_string(row, 0, text)
    return buffer.getvalue()


def written_by_fieldkit(column: list[str]) -> bytes:
    """The column written by the export's own sheet writer."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fieldkit.xlsx"
        book = export_xlsx._StreamedBook(path)
        sheet = export_xlsx._Sheet(book, "Steps", TEXT_COLUMN)
        for text in column:
            sheet.add([text])
        sheet.close()
        book.save()
        return path.read_bytes()


def read_back(workbook: bytes) -> list[object]:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook)).active
    assert sheet is not None
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
@example(["_x0041_", "a\ufffeb", "\uffff", "bell\x07", " lead", "trail\t", "\x1c", "a&b<c>"])
def test_text_cells_are_the_xml_xlsxwriter_writes(column: list[str]) -> None:
    assume(all(text and not xlsxwriter_rich_passthrough(text) for text in column))
    theirs = written_by_xlsxwriter(column)
    ours = written_by_fieldkit(column)
    assert data_cells(ours) == data_cells(theirs), f"text cells differ {UPGRADE_HINT}"
    assert read_back(ours) == read_back(theirs)  # and openpyxl parses both the same


def test_a_literal_excel_escape_is_escaped_and_non_characters_are_written() -> None:
    cells = data_cells(written_by_fieldkit(["_x0041_", "a\ufffeb\uffff", "tab\x09 ", "\x00"]))
    assert cells == {
        2: '<c r="A2" t="inlineStr"><is><t>_x005F_x0041_</t></is></c>',
        3: '<c r="A3" t="inlineStr"><is><t>a_xFFFE_b_xFFFF_</t></is></c>',
        4: '<c r="A4" t="inlineStr"><is><t xml:space="preserve">tab\t </t></is></c>',
        5: '<c r="A5" t="inlineStr"><is><t>_x0000_</t></is></c>',
    }


def test_text_longer_than_a_cell_holds_is_cut_as_xlsxwriter_cuts_it() -> None:
    # 32,766 units, then an emoji (two units) that would cross Excel's limit of 32,767.
    column = ["x" * 32_766 + "😀" + "tail", "好" * 40_000]
    ours = written_by_fieldkit(column)
    assert data_cells(ours) == data_cells(written_by_xlsxwriter(column)), UPGRADE_HINT
    assert read_back(ours) == ["x" * 32_766, "好" * 32_767]


def test_text_that_looks_like_rich_text_xml_stays_text_on_every_sheet(tmp_path: Path) -> None:
    """XlsxWriter would write this into the sheet as XML; a customer named so must not inject
    markup into the workbook, on the data sheets (fieldkit's writer) or the Summary (XlsxWriter)."""
    text = "<r><t>injected</t></r>"
    path = tmp_path / "rich.xlsx"
    book = export_xlsx._StreamedBook(path)
    summary = book.workbook.add_worksheet("Summary")
    sheet = export_xlsx._Sheet(book, "Steps", TEXT_COLUMN)
    sheet.add([text])
    sheet.close()
    book.write(summary, 0, 0, text)
    book.save()
    read = openpyxl.load_workbook(path)
    assert read["Steps"]["A2"].value == text
    assert read["Summary"]["A1"].value == text


# The three places export_xlsx.py reaches into XlsxWriter. Each test names what broke.


def test_touch_point_1_style_index_is_the_one_xlsxwriter_writes() -> None:
    """_StreamedBook.style_attribute reads Format._get_xf_index(), which XlsxWriter keeps
    private."""
    assert hasattr(xlsxwriter.format.Format, "_get_xf_index"), (
        f"Format._get_xf_index is gone {UPGRADE_HINT}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "styles.xlsx"
        book = export_xlsx._StreamedBook(path)
        sheet = book.workbook.add_worksheet("Summary")
        kinds = list(book.formats)
        ours = [book.style_attribute(book.formats[kind]) for kind in kinds]
        for row, kind in enumerate(kinds):
            sheet.write_number(row, 0, 1.5, book.formats[kind])
        book.save()
        xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    theirs = [re.search(r'( s="\d+")', cell).group(1) for _, cell in _cells(xml)]  # type: ignore[union-attr]
    assert ours == theirs, f"a format's s= index is not the one XlsxWriter writes {UPGRADE_HINT}"


def test_touch_point_2_sheet_parts_are_where_the_rows_are_spliced_in() -> None:
    """_StreamedBook.save finds each data sheet at xl/worksheets/sheet<index + 1>.xml and puts its
    rows before </sheetData>, fixing <dimension ref=...>."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"constant_memory": True}) as workbook:
        first = workbook.add_worksheet("Summary")
        second = workbook.add_worksheet("Steps")
        second.write_string(0, 0, "header")
    names = zipfile.ZipFile(buffer).namelist()
    for sheet in (first, second):
        part = f"xl/worksheets/sheet{sheet.index + 1}.xml"
        assert part in names, f"no {part} for sheet {sheet.name!r} {UPGRADE_HINT}"
    xml = zipfile.ZipFile(buffer).read(f"xl/worksheets/sheet{second.index + 1}.xml").decode()
    assert xml.count("</sheetData>") == 1, (
        f"no single </sheetData> to put rows before {UPGRADE_HINT}"
    )
    assert export_xlsx._DIMENSION.search(xml), f"no <dimension ref=...> to fix {UPGRADE_HINT}"
    rows = data_cells(written_by_fieldkit(["a", "b"]), "xl/worksheets/sheet1.xml")
    assert sorted(rows) == [2, 3]


def test_touch_point_3_text_escaping_matches_xlsxwriters_own_function() -> None:
    """_text copies XlsxWriter's escaping (xmlwriter._escape_control_characters and
    _escape_data); the differential test above compares whole cells, this one names the
    function to read when they differ."""
    from xlsxwriter.xmlwriter import XMLwriter

    for text in [*TRICKY, "".join(TRICKY[:-4])]:
        if xlsxwriter_rich_passthrough(text):
            continue
        theirs = XMLwriter()._escape_data(XMLwriter._escape_control_characters(text))
        ours = re.sub(r"^<t[^>]*>|</t>$", "", export_xlsx._inline_string(text))
        assert ours == theirs, f"{text!r}: XlsxWriter escapes it as {theirs!r} {UPGRADE_HINT}"


def libreoffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    reason = "LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run installs it, so CI must run this test")
    pytest.skip(reason)


@pytest.mark.slow
def test_libreoffice_reads_every_text_as_written(tmp_path: Path) -> None:
    """LibreOffice, like Excel, undoes the _xHHHH_ escapes: a literal _x005F_ must come back
    as itself (not "_"), and a workbook with U+FFFE in it must open, every row of it."""
    column = ["_x0041_", "a_x005F_b", "深圳某银行 & <Co>", " edge ", "x\ufffey", "=1+1", "l1\nl2"]
    (tmp_path / "in.xlsx").write_bytes(written_by_fieldkit(column))
    profile = (tmp_path / "profile").as_uri()
    converted = subprocess.run(
        [
            libreoffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "in.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    csv_path = tmp_path / "out" / "in.csv"
    assert csv_path.exists(), f"LibreOffice could not convert the workbook: {converted.stderr}"
    with csv_path.open(encoding="utf-8", newline="") as handle:
        rows = [row[0] for row in csv.reader(handle)]
    assert rows[0] == "text"
    assert rows[1:] == column
