"""Reading a bill of materials (bot.domain.bom.read_bom) and writing the priced CSV (bom_csv)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from bot.domain.bom import MAX_BOM_BYTES, MAX_BOM_LINES, Bom, BomError, bom_csv, for_boards, read_bom
from bot.domain.bom.columns import manufacturer
from bot.domain.models import LineItem


def bom(data: bytes | str) -> Bom:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = read_bom(raw)
    assert isinstance(result, Bom), result
    return result


def error(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = read_bom(raw)
    assert isinstance(result, BomError), result
    assert result.message
    return result.message


def lines(b: Bom) -> list[tuple[int, str, int]]:
    return [(line.row, line.item.mpn, line.item.quantity) for line in b.lines]


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mpn_header",
    [
        "MPN",
        "mpn",
        "Part Number",
        "part number",
        "PartNumber",
        "Mfr Part #",
        "Mfr. Part #",
        "Mfr Part Number",
        "Manufacturer Part Number",
        "Manufacturer Part No.",
        "MFG PN",
        "P/N",
        " MPN ",
    ],
)
@pytest.mark.parametrize("qty_header", ["Qty", "QTY", "Quantity", "quantity", "Qty per board", "Count"])
def test_header_spellings(mpn_header: str, qty_header: str) -> None:
    b = bom(f"Ref,{mpn_header},{qty_header}\nU1,LM358DR,4\nU2,NE555DR,2\n")
    assert lines(b) == [(2, "LM358DR", 4), (3, "NE555DR", 2)]
    assert b.mpn_column == mpn_header.strip()
    assert b.qty_column == qty_header
    assert b.problems == ()


def test_the_mpn_column_is_preferred_over_a_generic_part_column() -> None:
    b = bom("Part,Description,MPN,Qty\nR1,10k resistor,RC0603FR-0710KL,10\n")
    assert lines(b) == [(2, "RC0603FR-0710KL", 10)]
    assert b.mpn_column == "MPN"


def test_manufacturer_part_number_preferred_over_part_number() -> None:
    b = bom("Part Number,Manufacturer Part Number,Quantity\nINT-001,LM358DR,3\n")
    assert lines(b) == [(2, "LM358DR", 3)]
    assert b.mpn_column == "Manufacturer Part Number"


def test_header_not_on_the_first_row() -> None:
    text = "Bill of materials\nBoard: widget rev B\n\nDesignator,Mfr Part #,Qty\nU1,AD7685ARM,2\nU2,LM358DR,5\n"
    b = bom(text)
    assert lines(b) == [(5, "AD7685ARM", 2), (6, "LM358DR", 5)]
    assert b.mpn_column == "Mfr Part #"


def test_no_mpn_column_names_the_expected_headers() -> None:
    message = error("Designator,Value,Footprint\nR1,10k,0603\n")
    assert "Columns seen: `Designator`, `Value`, `Footprint`" in message
    assert "`MPN`" in message
    assert "`Manufacturer Part Number`" in message
    assert "`Mfr Part #`" in message
    assert "`Qty`" in message


# --- formats and encodings ---------------------------------------------------------------------


def test_tsv() -> None:
    b = bom("MPN\tQty\tDescription\nLM358DR\t10\tdual op amp, SOIC-8\nNE555DR\t5\ttimer\n")
    assert lines(b) == [(2, "LM358DR", 10), (3, "NE555DR", 5)]


def test_semicolon_separated() -> None:
    b = bom("MPN;Qty;Description\nLM358DR;10;dual op amp, SOIC-8\nNE555DR;5;timer, 8 pin\n")
    assert lines(b) == [(2, "LM358DR", 10), (3, "NE555DR", 5)]


def test_quoted_fields_with_commas_and_quotes() -> None:
    b = bom('MPN,Description,Qty\nLM358DR,"op amp, dual ""low power""",1000\n"RC0603,X",resistor,3\n')
    assert lines(b) == [(2, "LM358DR", 1000), (3, "RC0603,X", 3)]


def test_quoted_thousands_separator() -> None:
    b = bom('MPN,Qty\nLM358DR,"1,000"\nNE555DR,2_500\n')
    assert lines(b) == [(2, "LM358DR", 1000), (3, "NE555DR", 2500)]


def test_utf8_bom_is_ignored() -> None:
    b = bom(b"\xef\xbb\xbfMPN,Qty\r\nLM358DR,2\r\n")
    assert lines(b) == [(2, "LM358DR", 2)]
    assert b.mpn_column == "MPN"


def test_cp1252_file() -> None:
    data = "MPN;Description;Qty\nLM358DR;Op amp ±15 V, 25 °C, 1 µA;3\nGRM188R71H104KA93D;100 nF – X7R;50\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    b = bom(data)
    assert lines(b) == [(2, "LM358DR", 3), (3, "GRM188R71H104KA93D", 50)]


def test_crlf_and_blank_lines_keep_line_numbers() -> None:
    b = bom("MPN,Qty\r\n\r\nLM358DR,1\r\n\r\n\r\nNE555DR,2\r\n,\r\n")
    assert lines(b) == [(3, "LM358DR", 1), (6, "NE555DR", 2)]


def test_rows_with_other_cells_but_no_mpn_are_counted_as_blank() -> None:
    b = bom("Ref,MPN,Qty\nU1,LM358DR,1\nTP1,,1\nTP2,  ,2\nTotal:,,\n")
    assert lines(b) == [(2, "LM358DR", 1)]
    assert b.skipped_blank == 2
    assert b.problems == ()


def test_short_rows_are_tolerated() -> None:
    b = bom("Qty,Ref,MPN\n5,U1,LM358DR\n7\n3,U2\n")
    assert lines(b) == [(2, "LM358DR", 5)]
    assert b.skipped_blank == 2


# --- quantities --------------------------------------------------------------------------------


def test_missing_qty_column_means_one_each() -> None:
    b = bom("MPN,Description\nLM358DR,op amp\nNE555DR,timer\n")
    assert lines(b) == [(2, "LM358DR", 1), (3, "NE555DR", 1)]
    assert b.qty_column is None


def test_empty_quantity_cell_means_one() -> None:
    b = bom("MPN,Qty\nLM358DR,\nNE555DR,  \n")
    assert lines(b) == [(2, "LM358DR", 1), (3, "NE555DR", 1)]


@pytest.mark.parametrize(("raw", "qty"), [("7", 7), (" 7 ", 7), ("7.0", 7), ("7.00", 7), ("10000000", 10_000_000)])
def test_good_quantities(raw: str, qty: int) -> None:
    assert lines(bom(f"MPN,Qty\nLM358DR,{raw}\n")) == [(2, "LM358DR", qty)]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("2.5", "not a whole number"),
        ("abc", "not a whole number"),
        ("-3", "not a whole number"),
        ("1e3", "not a whole number"),
        ("0", "below 1"),
        ("10000001", "10,000,000"),
        ("9" * 30, "10,000,000"),
        ("9" * 400, "10,000,000"),
    ],
)
def test_bad_quantities_are_reported_per_line_and_not_included(raw: str, needle: str) -> None:
    b = bom(f"MPN,Qty\nLM358DR,4\nNE555DR,{raw}\n1N4148W-7-F,2\n")
    assert lines(b) == [(2, "LM358DR", 4), (4, "1N4148W-7-F", 2)]
    assert len(b.problems) == 1
    problem = b.problems[0]
    assert problem.startswith("line 3 (NE555DR): ")
    assert needle in problem
    assert len(problem) < 200


def test_several_problems_each_with_its_line_number() -> None:
    b = bom("Title row\nMPN,Qty\nLM358DR,x\nLM*,2\nOK1,3\nTOO-LONG-" + "A" * 40 + ",1\nBAD|PART,1\n")
    assert lines(b) == [(5, "OK1", 3)]
    assert [p.split(":")[0].split(" (")[0] for p in b.problems] == ["line 3", "line 4", "line 6", "line 7"]
    assert "wildcard" in b.problems[1]
    assert "longer than 40" in b.problems[2]
    assert "cannot contain" in b.problems[3]


def test_wildcard_mpn_is_reported_and_not_looked_up() -> None:
    b = bom("MPN,Qty\nLM35*,10\nNE555DR,1\n")
    assert lines(b) == [(3, "NE555DR", 1)]
    assert b.problems == ("line 2: `LM35*` has a wildcard; partbot looks up exact part numbers only",)


# --- refusals ----------------------------------------------------------------------------------


def test_empty_file() -> None:
    assert "empty" in error(b"")
    assert "empty" in error(b"   \r\n\n\t ")


def test_header_only_file_has_no_lines() -> None:
    b = bom("MPN,Qty\n")
    assert b.lines == () and b.problems == ()


def test_binary_file_with_nul_bytes() -> None:
    message = error(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    assert "binary" in message


def test_binary_file_without_nul_bytes() -> None:
    assert "binary" in error(b"MPN,Qty\n" + bytes(range(1, 32)) * 3 + b"\n")


def test_ten_megabytes_is_refused() -> None:
    data = b"MPN,Qty\n" + b"LM358DR,1\n" * (10 * 1024 * 1024 // 10)
    assert len(data) > 10 * 1024 * 1024
    message = error(data)
    assert "MB" in message and "10.0 MB" in message


def test_just_over_the_byte_limit_is_refused() -> None:
    data = b"MPN,Qty\n" + b"x" * MAX_BOM_BYTES
    assert "MB" in error(data)


def test_five_thousand_lines_are_refused() -> None:
    data = "MPN,Qty\n" + "".join(f"PART{i},1\n" for i in range(5000))
    message = error(data)
    assert "5,000 lines" in message
    assert f"{MAX_BOM_LINES:,}" in message


def test_the_line_limit_counts_data_lines_only() -> None:
    data = "Title\n\nMPN,Qty\n" + "".join(f"PART{i},1\n\n" for i in range(MAX_BOM_LINES))
    assert len(bom(data).lines) == MAX_BOM_LINES
    data += "ONEMORE,1\n"
    assert f"{MAX_BOM_LINES + 1:,} lines" in error(data)


def test_max_lines_argument() -> None:
    data = b"MPN\nA1\nA2\nA3\n"
    assert isinstance(read_bom(data, max_lines=3), Bom)
    result = read_bom(data, max_lines=2)
    assert isinstance(result, BomError)
    assert "3 lines" in result.message


def test_huge_field_is_an_error_not_a_crash() -> None:
    data = b'MPN,Qty\n"' + b"A" * 200_000 + b'",1\n'
    result = read_bom(data)
    assert isinstance(result, (BomError, Bom))
    if isinstance(result, Bom):
        assert result.lines == ()


# --- writing the priced BOM -----------------------------------------------------------------------


def parse_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("+SUM(A1:A2)", "'+SUM(A1:A2)"),
        ("@x", "'@x"),
        ("@SUM(1)", "'@SUM(1)"),
        ("-cmd", "'-cmd"),
        ("-2+3", "'-2+3"),
        ("-5", "-5"),
        ("-1.25", "-1.25"),
        ("LM358DR", "LM358DR"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_bom_csv_defuses_formula_cells(cell: str, written: str) -> None:
    rows = parse_csv(bom_csv(["value"], [[cell]]))
    assert rows == [["value"], [written]]


def test_bom_csv_keeps_numbers_and_blanks_none() -> None:
    data = bom_csv(
        ["line", "mpn", "qty", "price", "note"], [[2, "LM358DR", 100, -0.5, None], [3, "NE555DR, rev A", 5, 1.25, "ok"]]
    )
    assert data.endswith(b"\r\n")
    assert parse_csv(data) == [
        ["line", "mpn", "qty", "price", "note"],
        ["2", "LM358DR", "100", "-0.5", ""],
        ["3", "NE555DR, rev A", "5", "1.25", "ok"],
    ]


def test_bom_csv_is_utf8() -> None:
    data = bom_csv(["d"], [["µA741 – 10 kΩ"]])
    assert data.decode("utf-8").splitlines()[1] == "µA741 – 10 kΩ"


def test_round_trip_through_bom_csv() -> None:
    data = bom_csv(["MPN", "Qty"], [["LM358DR", 4], ["RC0603,X", 2]])
    b = bom(data)
    assert [line.item for line in b.lines] == [LineItem("LM358DR", 4), LineItem("RC0603,X", 2)]


def test_semicolon_files_read_european_numbers() -> None:
    b = bom("MPN;Qty\nLM358DR;1.000\nNE555DR;2,0\nBC547B;2,5\n")
    assert lines(b) == [(2, "LM358DR", 1000), (3, "NE555DR", 2)]
    assert b.problems == ("line 4 (BC547B): quantity '2,5' is not a whole number",)


@pytest.mark.parametrize("header", ["Order Qty", "Qty Per Unit", "Ext Qty", "Build Quantity"])
def test_quantity_headers_are_found_loosely(header: str) -> None:
    b = bom(f"MPN,{header}\nLM358DR,4\n")
    assert b.qty_column == header and lines(b) == [(2, "LM358DR", 4)]


def test_no_quantity_column_is_said() -> None:
    b = bom("MPN,Notes\nLM358DR,op amp\n")
    assert b.qty_column is None and lines(b) == [(2, "LM358DR", 1)]


# --- headers by meaning, as real tools write them -----------------------------------------------


@pytest.mark.parametrize(
    "mpn_header",
    ["manf#", "Manf#", "Mfr. #", "Manf Part #", "Manufacture Part Number", "Mrf#", "*Mfg Part #", "MP", "Mfr. Part", "MPN2"],
)
def test_manufacturer_part_number_headers_by_meaning(mpn_header: str) -> None:
    b = bom(f"Ref,{mpn_header},Quan\nU1,LM358DR,4\n")
    assert lines(b) == [(2, "LM358DR", 4)]
    assert (b.mpn_column, b.qty_column) == (mpn_header, "Quan")


def test_the_per_board_quantity_wins_over_build_and_order_quantities() -> None:
    b = bom("manf#,Order Qty.,Build Quantity,Quantity Per PCB\nLM358DR,100,200,2\n")
    assert b.qty_column == "Quantity Per PCB" and lines(b) == [(2, "LM358DR", 2)]


def test_availability_and_minimums_are_not_quantities() -> None:
    b = bom("MPN,Quantity Available,Min\\Mult Order Qty.,Qty\nLM358DR,5000,10,3\n")
    assert b.qty_column == "Qty" and lines(b) == [(2, "LM358DR", 3)]


def test_distributor_columns_are_never_part_numbers() -> None:
    b = bom("Digikey Part Number,Mouser #,Manufacturer Part Number,Qty\n296-1391-5-ND,595-LM324N,LM324N,2\n")
    assert b.mpn_column == "Manufacturer Part Number" and lines(b) == [(2, "LM324N", 2)]


def test_a_header_on_line_twelve() -> None:
    preamble = "".join(f"Note {i}:,something\n" for i in range(11))
    b = bom(preamble + "References,Manufacturer P/N,Build Quantity\nR1 R2,CR0603-JW-102ELF,100\n")
    assert lines(b) == [(13, "CR0603-JW-102ELF", 100)]


# --- which column holds part numbers -------------------------------------------------------------


def test_a_part_column_of_designators_is_refused_naming_the_columns() -> None:
    message = error("Part,Value,Device,Package\nR1,4.7k,RESISTOR0805,0805\nR2,10k,RESISTOR0805,0805\nU1,DS1339,DS1339,SOP8\n")
    assert "Columns seen: `Part` (it holds reference designators), `Value`, `Device`, `Package`" in message


def test_a_part_column_of_symbol_names_is_refused() -> None:
    message = error("Row,Part,References,Quantity\n1,C,C1,1\n2,Conn_01x03_Male,J1,1\n3,R,R1 R2,2\n")
    assert "`Part` (it holds symbol or footprint names, not part numbers)" in message


def test_a_part_column_of_mpns_is_read_and_its_odd_cells_reported() -> None:
    b = bom("Part,Qty\nLM358DR,2\nNE555DR,1\nFIDUCIAL,4\nM3 Hole,2\n")
    assert lines(b) == [(2, "LM358DR", 2), (3, "NE555DR", 1)]
    assert [p.split(":")[0] for p in b.problems] == ["line 4", "line 5"]
    assert "does not look like a manufacturer part number" in b.problems[0]


def test_a_pn_column_of_digikey_skus_is_refused() -> None:
    message = error("Quan,P/N,Ref\n3,1572-1715-ND,C1\n2,125LD50-R-ND,C5\n4,BC4520CT-ND,R1\n")
    assert "`P/N` (it holds distributor order codes)" in message


def test_a_sku_in_an_mpn_column_is_reported() -> None:
    b = bom("MPN,Qty\nRC0402JR-071KL,1\n311-750KGRCT-ND,1\nC124381,2\nLM358DR,1\nNE555DR,1\n")
    assert lines(b) == [(2, "RC0402JR-071KL", 1), (5, "LM358DR", 1), (6, "NE555DR", 1)]
    assert all("distributor order code" in p for p in b.problems) and len(b.problems) == 2


def test_of_two_mpn_columns_the_filled_one_is_read() -> None:
    b = bom("Mfr.,Mrf#,Quantity,Mrf#,Mfr.\n,,9,CC0402KRX7R7BB104,YAGEO\n")
    assert lines(b) == [(2, "CC0402KRX7R7BB104", 9)]
    assert b.lines[0].item.mfr == "YAGEO" and b.mfr_column == "Mfr."


# --- placeholders, DNP, manufacturers ----------------------------------------------------------------


@pytest.mark.parametrize("placeholder", ["N/A", "n/a", "DNP", "-", "TBD", "", "  ", "~", "NA", "-(The data has been deleted.)"])
def test_placeholders_are_skipped_and_counted(placeholder: str) -> None:
    b = bom(f"Ref,MPN,Qty\nU1,LM358DR,1\nU2,{placeholder},3\n")
    assert lines(b) == [(2, "LM358DR", 1)]
    assert b.skipped_blank + b.skipped_dnp == 1 and b.problems == ()


def test_a_dnp_column_skips_and_counts() -> None:
    b = bom('Reference,Qty,MPN,DNP\nR1,1,RC0402FR-0710KL,\nR2,2,RC0402FR-071KL,DNP\nJ1,1,,"DNP"\n')
    assert lines(b) == [(2, "RC0402FR-0710KL", 1)]
    assert (b.skipped_dnp, b.skipped_blank) == (2, 0)


@pytest.mark.parametrize("row", ["R1,DNP - 0,RC0402JR-070RL,1", "R1,10k,RC0402JR-070RL,1,Not Fitted", "R1,DNI,RC0402JR-070RL,1"])
def test_a_dnp_value_skips_the_line(row: str) -> None:
    b = bom(f"Part,Value,MPN,Qty,Fitted\nR2,1k,RC0402JR-071KL,2,Fitted\n{row}\n")
    assert lines(b) == [(2, "RC0402JR-071KL", 2)] and b.skipped_dnp == 1


def test_a_fitted_column_saying_no_skips_the_line() -> None:
    b = bom("Place,Reference Designator,Manufacturer Part Number,Quantity/Board\nYes,J1,OSTTE020104,13\nNo,C1,ECA-1HM220,1\n")
    assert lines(b) == [(2, "OSTTE020104", 13)] and b.skipped_dnp == 1


def test_the_manufacturer_column_fills_each_line() -> None:
    b = bom("MPN,Manufacturer,Qty\nLM358DR,Texas Instruments,2\nNE555DR,,1\nT-Mobile,T-Mobile,1\n")
    assert [line.item for line in b.lines] == [LineItem("LM358DR", 2, "Texas Instruments"), LineItem("NE555DR", 1, None)]
    assert b.mfr_column == "Manufacturer"
    assert b.problems == ("line 4: `T-Mobile` is the manufacturer's name, not a part number; not looked up",)


# --- MPNs as real BOMs write them ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "mpn"),
    [
        ("PTS645SM43SMTR92 LFS", "PTS645SM43SMTR92 LFS"),
        ("1255AY-4R7M=P3", "1255AY-4R7M=P3"),
        ("CAT24M01YI\u2212GT3", "CAT24M01YI-GT3"),
        ("BAT54\u2013C", "BAT54-C"),
        ('"LPC4320FBD144,551"', "LPC4320FBD144,551"),
        ('" \nNCP301LSN30T1G"', "NCP301LSN30T1G"),
        ("DS3231SN#T&R", "DS3231SN#T&R"),
        ("1844210", "1844210"),
    ],
)
def test_real_mpns_are_read_whole(cell: str, mpn: str) -> None:
    assert lines(bom(f"MPN,Qty\n{cell},2\n")) == [(2, mpn, 2)]


def test_semicolon_file_with_commas_in_quoted_cells() -> None:
    text = '"Id";"Designator";"Qty";"MPN";\n1;"FID3,FID1,FID6";3;"GRM188R71H104KA93D";\n2;"R1,R2";2;"RC0603FR-0710KL";\n'
    b = bom(text)
    assert lines(b) == [(2, "GRM188R71H104KA93D", 3), (3, "RC0603FR-0710KL", 2)]


def test_a_ragged_tsv_the_sniffer_gives_up_on() -> None:
    text = "References\tQty\tMPN\tDigikey\tMouser\tRS\nR1\t1\tRC0603FR-0710KL\nC1, C2\t2\tCL10C180JB8NNNC\t\t\t\t\t\tC1647\nU1\t1\tESP-01S\n"
    assert lines(bom(text)) == [(2, "RC0603FR-0710KL", 1), (3, "CL10C180JB8NNNC", 2), (4, "ESP-01S", 1)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_utf16_files_as_easyeda_writes_them(encoding: str) -> None:
    """With a byte-order mark (EasyEDA), or without one (utf-16-le here)."""
    text = 'ID\tName\tQuantity\tManufacturer Part\n"1"\t"100nF"\t"1"\t"CC0603KRX7R9BB104"\n"2"\t"120Ω"\t"1"\t"0603WAF1200T5E"\n'
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert lines(bom(data)) == [(2, "CC0603KRX7R9BB104", 1), (3, "0603WAF1200T5E", 1)]


# --- XLSX ------------------------------------------------------------------------------------------


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    """An XLSX written by openpyxl, which (like XlsxWriter) stores formulas without their values."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_header_under_a_title_block_and_numeric_mpns() -> None:
    data = workbook(
        (
            "Sheet1",
            [
                [None, None, "S3Main PCS BOM"],
                [],
                ["Item #", "*Designator", "*Qty", "Manufacturer", "*Mfg Part #"],
                [1, "C1,C2", 10, "Samsung", "CL05B104KB54PNC"],
                [2, "J1", 1.0, "Phoenix Contact", 1844210],
            ],
        ),
    )
    b = bom(data)
    assert [line.item for line in b.lines] == [
        LineItem("CL05B104KB54PNC", 10, "Samsung"),
        LineItem("1844210", 1, "Phoenix Contact"),
    ]
    assert [line.row for line in b.lines] == [4, 5]
    assert (b.sheet, b.mpn_column, b.qty_column) == ("Sheet1", "*Mfg Part #", "*Qty")


def test_xlsx_the_first_sheet_that_holds_a_bom() -> None:
    data = workbook(
        ("Cover", [["Project", "Widget"], ["Rev", "B"]]),
        ("Costing", [["Description", "Digi-key Part Number", "Qty"], ["Op amp", "296-1391-5-ND", 2]]),
        ("BOM", [["MPN", "Qty"], ["LM358DR", 4]]),
        ("Old", [["MPN", "Qty"], ["NE555DR", 1]]),
    )
    b = bom(data)
    assert b.sheet == "BOM" and lines(b) == [(2, "LM358DR", 4)]


def test_xlsx_without_any_bom_sheet_names_the_columns_of_the_first() -> None:
    data = workbook(
        ("Costing", [["Description", "Digi-key Part Number", "Qty/board"], ["Op amp", "296-1391-5-ND", 2]]), ("Notes", [["x"]])
    )
    message = error(data)
    assert "`Digi-key Part Number` (a distributor's column)" in message and "sheet 'Costing'" in message


def test_xlsx_a_formula_quantity_saved_without_its_value_is_reported() -> None:
    data = workbook(("BOM", [["Manf#", "Qty"], ["GA343DR7GD472KW01L", "=BoardQty*1"], ["RC0402FR-0710KL", 5]]))
    b = bom(data)
    assert lines(b) == [(3, "RC0402FR-0710KL", 5)]
    assert b.problems == (
        "line 2 (GA343DR7GD472KW01L): the quantity is a formula (`=BoardQty*1`) saved without its value; open the file "
        "in Excel or LibreOffice and save it again, or type the numbers in",
    )


def test_xlsx_line_limit() -> None:
    data = workbook(("BOM", [["MPN", "Qty"], *[[f"PART{i}", 1] for i in range(MAX_BOM_LINES + 1)]]))
    assert f"{MAX_BOM_LINES + 1:,} lines" in error(data)


def test_xlsx_zip_bomb_is_refused_from_the_zip_directory() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (64 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < MAX_BOM_BYTES
    message = error(data)
    assert "unpacks to 64 MB" in message


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "not an XLSX workbook" in error(out.getvalue())
    assert "damaged" in error(b"PK\x03\x04" + b"\x00" * 100)


# --- the priced CSV and the board count ---------------------------------------------------------------


@pytest.mark.parametrize("cell", ["\t=1+1", "\r=1+1", ' =HYPERLINK("x")', "  +1", "\t@SUM(1)", " -2+3", "\t\t-cmd", "\r\n=1"])
def test_bom_csv_defuses_formulas_behind_leading_whitespace(cell: str) -> None:
    assert parse_csv(bom_csv(["value"], [[cell]]))[1] == ["'" + cell]


def test_boards_multiply_every_line_and_say_so() -> None:
    b = bom("MPN,Qty\nLM358DR,4\nNE555DR,1\nBIG1,300000\n")
    times = for_boards(b, 50)
    assert lines(times) == [(2, "LM358DR", 200), (3, "NE555DR", 50)]
    assert times.boards == 50
    assert times.problems == ("line 4 (BIG1): 300,000 × 50 boards is more than 10,000,000",)
    assert for_boards(b, 1) is b


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("YAGEO(国巨)", "YAGEO"),
        ("CJ(江苏长电/长晶)", "CJ"),
        ("TI（德州仪器）", "TI"),
        ("精拓金", None),
        ("Any", None),
        ("N/A", None),
        ("", None),
        ("Würth Elektronik", "Würth Elektronik"),
        ("Microchip Technology / Atmel", "Microchip Technology / Atmel"),
    ],
)
def test_a_manufacturer_cell_narrows_only_by_a_name_nexar_can_match(cell: str, name: str | None) -> None:
    assert manufacturer(cell) == name
