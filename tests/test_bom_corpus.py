"""The 44 real BOMs in ../shared/realworld/boms: what a careful engineer reads off each.

Each expectation was written from the file itself (lines counted, MPNs and quantities
checked by hand): the lines that carry a manufacturer part number with their quantities,
the lines skipped as placeholders or do-not-populate, the lines reported as unreadable;
or a refusal when no column holds manufacturer part numbers (designators, values,
symbol names or distributor SKUs only). Skips cleanly when the corpus is absent."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.domain.bom import Bom, BomError, read_bom
from tests.shared import shared_dir

BOMS = shared_dir() / "realworld" / "boms"


@dataclass(frozen=True)
class Read:
    lines: int
    total_qty: int
    mpn: str
    qty: str | None
    blank: int = 0
    dnp: int = 0
    problems: int = 0
    has: tuple[tuple[int, str, int], ...] = ()
    """(row, MPN, quantity) that must be among the lines."""
    mfr: tuple[tuple[int, str], ...] = field(default=())


@dataclass(frozen=True)
class Refused:
    says: tuple[str, ...]
    """Words the refusal must contain: the columns it saw and why none holds MPNs."""


EXPECT: dict[str, Read | Refused] = {
    # Altium: no MPN header, but LibRef holds the MPNs; fiducials, holes and generic headers are not parts.
    "altium_odrive_v3.4_24V_bom.csv": Read(
        36,
        167,
        "LibRef",
        "Quantity",
        problems=6,
        has=((3, "GRM188R61C225KE15D", 14), (21, "1868076", 2), (41, "LM5109BSD/NOPB", 1), (44, "ABM3B-8.000MHZ-10-1-U-T", 1)),
    ),
    # Altium Excel template: 'Not Fitted' lines (quantity 0) are do-not-populate.
    # U4's part-number cell is the manufacturer's name (a SIM supplied by SODAQ): reported.
    "altium_sodaq_air_bill_of_materials.xlsx": Read(
        60,
        130,
        "Manufacturer Part Number 1",
        "Quantity",
        dnp=22,
        problems=1,
        has=((8, "NN02-220", 1), (16, "MC0402X104K160CT", 17), (34, "DFE252012F-2R2M=P2", 1), (41, "TSM2314CX RFG", 2)),
        mfr=((8, "Fractus"),),
    ),
    # Title block above the header; two MPNs are numeric cells.
    "assembly_template_s3main_bom.xlsx": Read(
        58,
        128,
        "*Mfg Part #",
        "*Qty",
        dnp=2,
        has=((7, "CL05B104KB54PNC", 10), (25, "1844210", 1), (27, "1836189", 1), (23, "CEZ30V,L3F", 1)),
        mfr=((25, "Phoenix Contact"),),
    ),
    "designspark_usbcharger_bill_of_materials.csv": Refused(("`RefDes`", "`Value`", "`Name`", "symbol")),
    "digikey_intercom.csv": Read(
        36,
        15167,
        "Manufacturer Part Number",
        "Quantity",
        has=((2, "CD4066BE", 25), (7, "SFR2500001691FR500", 1000), (37, "100SP1T2B4M7QE", 5)),
    ),
    "digikey_linbus_phat.csv": Read(
        19,
        169,
        "Manufacturer Part Number",
        "Quantity",
        has=((2, "RPI-029", 2), (12, "PTS645SM43SMTR92 LFS", 10), (20, "RC0805JR-0747RL", 10)),
    ),
    "digikey_pn_only_6cy7amp.csv": Refused(("`Quan`", "`P/N`", "distributor order codes", "`Ref`")),
    "digikey_pn_only_light_monitor_bom.xlsx": Refused(("`Digi-key Part Number` (a distributor's column)", "`Qty/board`")),
    "digikey_pn_only_signpost_debug_backplane.csv": Refused(("`Part List`", "`Digikey Part Number`", "`QTY`")),
    "digikey_retropad.csv": Read(
        4, 12, "Manufacturer Part Number", "Quantity", has=((3, "B3F-1000", 8), (5, "RR1220P-331-D", 2))
    ),
    "digikey_squeezeamp.csv": Read(
        49,
        89,
        "Manufacturer Part Number",
        "Quantity",
        has=(
            (6, "LT3652EMSE#PBF", 1),
            (8, "SSM3K318R,LF", 1),
            (10, "1255AY-4R7M=P3", 4),
            (19, "ESP32-WROVER-B (M213DH6464PC3Q0)", 1),
            (33, "BZT52B2V4 RHG", 1),
        ),
        mfr=((35, "Würth Elektronik"),),
    ),
    # Eagle with SnapEDA attributes: `Part` holds designators; `MP` holds the two MPNs there are.
    "eagle_ds1339_bill_of_materials.csv": Read(
        2, 2, "MP", None, blank=6, has=((8, "DS1339AU+", 1), (9, "ECS-.327-6-17X-TR", 1)), mfr=((8, "Maxim Integrated"),)
    ),
    "eagle_excel_table_localization_cape_bom_digikey.xlsx": Read(
        26, 26, "MANUFACTURER_PART_NUMBER", None, has=((2, "706", 1), (9, "B4B-PH-K-S(LF)(SN)", 1), (27, "CL21A226MOCLRNC", 1))
    ),
    # Header on line 6; R26/R27 marked Do Not Insert; J4's cell lists four MPNs (reported); a cell with a newline.
    "eagle_signpost_controller_bom.csv": Read(
        41,
        96,
        "Manufacturer Part Number",
        "Qty",
        dnp=1,
        problems=1,
        has=(
            (7, "GRM1555C1H8R0BA01D", 4),
            (17, "DF40HC(3.0)-70DS-0.4V(51)", 1),
            (28, "1277AS-H-R47M=P2", 1),
            (42, "NCP301LSN30T1G", 2),
        ),
        mfr=((7, "Murata"),),
    ),
    # Semicolons; R1 is `DNP - 0`; R11's MPN cell holds a Digi-Key SKU (reported).
    "eagle_signpost_rf_spectrum_bom.csv": Read(
        42,
        42,
        "MPN",
        None,
        blank=1,
        dnp=1,
        problems=1,
        has=((2, "U.FL-R-SMT-1(01)", 1), (5, "0732511350", 1), (46, "ABS05-32.768KHZ-T", 1)),
    ),
    "easyeda_f40hub.csv": Read(
        3,
        6,
        "Manufacturer Part",
        "Quantity",
        blank=4,
        has=((6, "SL2.1s", 1), (7, "TYPE-C 16PIN 2MD(073)", 2), (8, "10.0 QHHTZB6.3", 3)),
    ),
    "easyeda_pro_usbhub.csv": Read(
        7,
        15,
        "Manufacturer Part",
        "Quantity",
        has=((2, "CL10A106KP8NNNC", 6), (8, "903-131A1011D10100", 4)),
        mfr=((2, "SAMSUNG"),),  # the Chinese name in brackets is dropped: Nexar matches the Latin one
    ),
    "easyeda_utf16_hackpod.csv": Read(
        21,
        70,
        "Manufacturer Part",
        "Quantity",
        has=((2, "CL10A106MA8NRNC", 2), (12, "FRC0603J221 TS", 2), (20, "MINI MSK12CO2", 1), (22, "XL2EL89CPI-111YLC-40M", 10)),
    ),
    "easyeda_utf16_sk6812_rs485.csv": Read(
        10,
        12,
        "Manufacturer Part",
        "Quantity",
        blank=4,
        has=((2, "CC0603KRX7R9BB104", 1), (13, "SP485EEN-L/TR", 1), (15, "X6511WRS-03H-C60D48", 2)),
    ),
    # MPNs as numbers (Adafruit) and with commas; N/A lines skipped.
    "handmade_barodrop_BOM.csv": Read(
        7, 7, "MPN", "Amount", blank=3, has=((2, "5980", 1), (5, "MG90S-360", 1), (7, "TC-M2x3,0", 1), (8, "TC-M2,5x4", 1))
    ),
    "handmade_lems_shield_bill_of_materials_pcb.xlsx": Read(
        30,
        76,
        "Manufacturer Part Number",
        "Quantity/Board",
        blank=2,
        dnp=4,
        has=((4, "OSTTE020104", 13), (6, "TSR 1-2450", 1), (9, "DS3231SN#T&R", 1), (29, "BSS138", 5)),
    ),
    "kibom_lumenpnp_ringLight-bom.csv": Refused(("`Part`", "symbol", "`LCSC`")),
    "kibot_jlc_light_control_bom_jlc.csv": Refused(("`Comment`", "`Designator`", "`LCSC Part #`", "distributor")),
    # Header on line 11 under KiCost's preamble; only a build quantity.
    "kibot_kicost_variant_2c-bom.csv": Read(1, 100, "Manufacturer P/N", "Build Quantity", has=((12, "CR0603-JW-102ELF", 100),)),
    # `manf#`; the per-PCB quantity, not the build quantity; MPNs with spaces.
    "kibot_subparts-bom.csv": Read(
        10,
        27,
        "manf#",
        "Quantity Per PCB",
        has=((2, "322400B00000G", 2), (5, "LA 55-P", 1), (6, "lv 25-P", 1), (8, "2N2222A PBFREE", 2)),
    ),
    "kicad8_apogeoshield_bom.csv": Refused(("`Reference`", "`Value`", "`Footprint`", "`Qty`", "`DNP`")),
    "kicad_bomscripts_hackrf-one-bom.csv": Read(
        65,
        300,
        "Part Number",
        "Qty",
        has=(
            (2, "GRM1555C1H330JA01D", 33),
            (27, "73251-2121", 3),
            (31, "BSS84", 3),
            (59, "LPC4320FBD144,551", 1),
            (54, "MAX2837ETM+", 1),
        ),
        mfr=((27, "Molex"),),
    ),
    "kicad_ch330_mfr_part_BOM.csv": Read(
        10, 10, "Mfr. Part", None, blank=1, has=((2, "CH330N", 1), (5, "19-217/R6C-AL1M2VY/3T", 1))
    ),
    "kicad_fabtoolkit_devboard_bom.csv": Refused(("`Designator`", "`Value`", "`LCSC Part #`")),
    # A DNP column; a Unicode minus in an MPN.
    "kicad_glasgow_revC3_bom.csv": Read(
        52,
        222,
        "MPN",
        "Quantity",
        blank=1,
        dnp=4,
        has=((2, "LMK107BJ475KAHT", 14), (48, "CAT24M01YI-GT3", 1)),
        mfr=((48, "ON Semiconductor"),),
    ),
    "kicad_grouped_signpost_ambient_BOM.csv": Refused(("`Refs`", "`Value`", "`Vendor 1 Part Number`", "distributor")),
    "kicad_pcbnew_olimex_esp32poe_bom.csv": Refused(("`Designator`", "`Designation`", "`Quantity`")),
    "kicost_output_nf6x_testboard.csv": Read(
        5, 1500, "Manf#", "Qty", blank=1, dnp=1, has=((7, "DF12(5.0)-30DP-0.5V(86)", 100), (12, "431481031816", 900))
    ),
    # Every quantity is =BoardQty*N saved as 0: reported, never guessed.
    "kicost_output_test3.xlsx": Read(0, 0, "Manf#", "Qty", blank=2, dnp=7, problems=23),
    "kicost_part_list_small.csv": Read(10, 10, "manf#", None, has=((2, "A759MW157M1JAAE048", 1), (11, "UWT1H101MNL1GS", 1))),
    "kitspace_8bitmixtape_bom.tsv": Read(
        33, 38, "Part Number", "Qty", blank=3, has=((21, "AA3528QBS/D", 1), (25, "1655", 1), (39, "2N7002", 1))
    ),
    # Two MPN cells hold LCSC codes (reported).
    "kitspace_sjtwo_bom.tsv": Read(
        33, 101, "MPN", "Qty", problems=2, has=((2, "S8201-46R", 1), (26, "LPC4078FBD80,551", 1), (36, "X49SD12MSD2SC", 1))
    ),
    "kitspace_tomu_1-click-bom.tsv": Read(
        7,
        10,
        "MPN",
        "Qty",
        has=((2, "RC0402FR-0715RL", 2), (3, "EFM32HG309F64G-B-QFN24", 1)),
        mfr=((3, "SILICON LABORATORIES INC"),),
    ),
    "kitspace_ulx3s_1-click-bom.tsv": Read(
        53, 208, "MPN", "Qty", blank=10, has=((4, "PTS645SL50SMTR92 LFS", 7), (30, "DFE322512F-2R2M=P2", 3)), mfr=((3, "CUI"),)
    ),
    # LCSC's own matching result columns; deleted entries skipped.
    "lcsc_bom_quotation_rp2354.csv": Read(
        9, 22, "Mrf#", "Quantity", blank=3, has=((6, "CC0402KRX7R7BB104", 9), (12, "MCP1700T-3302E/TT", 1)), mfr=((6, "YAGEO"),)
    ),
    "lcsc_cart_easydrawers.csv": Read(205, 11500, "Manufacture Part Number", "Order Qty.", problems=3, has=((2, "MB6S-TP", 20),)),
    "mouser_cart_boros.csv": Read(17, 53, "Mfr. #", "Qty", has=((2, "06031C104MAT2A", 6), (17, "B2B-XH-A(LF)(SN)", 2))),
    "mouser_cart_ubertooth.csv": Read(
        43, 68, "Mfr. #", "Order Qty.", has=((19, "LY L29K-H1K2-26-Z", 1), (41, "LPC1754FBD80,551", 1), (42, "IP4220CZ6,125", 1))
    ),
    "octopart_upload_happyday.csv": Read(
        14, 82, "Manf Part #", "Quantity", has=((2, "0ZRE0012FF1C", 3), (15, "RAC03-3.3SGA", 3))
    ),
}


def test_every_file_in_the_corpus_has_an_expectation() -> None:
    if not BOMS.is_dir():
        pytest.skip(f"the real-world BOMs are not at {BOMS}")
    files = {p.name for p in BOMS.iterdir() if p.name != "SOURCES.md"}
    assert files == set(EXPECT)
    assert len(files) == 44


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_bom(name: str) -> None:
    path = BOMS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    result = read_bom(path.read_bytes())
    expect = EXPECT[name]
    if isinstance(expect, Refused):
        assert isinstance(result, BomError), f"{name} should be refused, read {result}"
        assert "none of its columns holds manufacturer part numbers" in result.message
        for word in expect.says:
            assert word in result.message
        return
    assert isinstance(result, Bom), result
    assert (result.mpn_column, result.qty_column) == (expect.mpn, expect.qty)
    assert len(result.lines) == expect.lines
    assert sum(line.item.quantity for line in result.lines) == expect.total_qty
    assert (result.skipped_blank, result.skipped_dnp, len(result.problems)) == (expect.blank, expect.dnp, expect.problems)
    got = {(line.row, line.item.mpn, line.item.quantity) for line in result.lines}
    for line in expect.has:
        assert line in got
    mfrs = {line.row: line.item.mfr for line in result.lines}
    for row, mfr in expect.mfr:
        assert mfrs[row] == mfr


def test_a_kicost_formula_quantity_is_reported_not_guessed() -> None:
    path = BOMS / "kicost_output_test3.xlsx"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    result = read_bom(path.read_bytes())
    assert isinstance(result, Bom) and result.lines == ()
    assert result.problems[0].startswith("line 7 (GA343DR7GD472KW01L): the quantity is a formula (`=BoardQty*1`)")


def test_placeholders_designators_and_skus_are_never_lines() -> None:
    """Across the corpus, no line item is a placeholder, a designator list or a Digi-Key SKU."""
    if not BOMS.is_dir():
        pytest.skip(f"the real-world BOMs are not at {BOMS}")
    for path in sorted(BOMS.iterdir()):
        if path.name == "SOURCES.md":
            continue
        result = read_bom(path.read_bytes())
        if isinstance(result, Bom):
            for line in result.lines:
                assert line.item.mpn.upper() not in ("N/A", "DNP", "-", "TBD", ""), path.name
                assert not line.item.mpn.upper().endswith("-ND"), path.name
