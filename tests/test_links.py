"""Which part a shared URL names: real Digi-Key, Mouser and Octopart URL shapes, as people
paste them (found in public READMEs, BOM notes and KiCad fields), and URLs that name none."""

from __future__ import annotations

import pytest

from bot.domain.links import PartLink, names_part, part_link, same_maker
from bot.domain.models import Offer, Part, Seller

NAMED = [
    # Digi-Key, current shape: /<locale>/products/detail/<mfr>/<MPN>/<id>
    (
        "https://www.digikey.com/en/products/detail/texas-instruments/TPS25940LRVCR/4915502",
        "mpn",
        "TPS25940LRVCR",
        "texas instruments",
    ),
    (
        "https://www.digikey.com/en/products/detail/allegro-microsystems/A3909GLNTR-T/3979655",
        "mpn",
        "A3909GLNTR-T",
        "allegro microsystems",
    ),
    (
        "https://www.digikey.com/en/products/detail/microchip-technology/MCP6232-E-P/716249",
        "mpn",
        "MCP6232-E-P",
        "microchip technology",
    ),
    (
        "https://www.digikey.com/en/products/detail/adafruit-industries-llc/3942/9658069?utm_adgroup=&utm_source=google",
        "mpn",
        "3942",
        "adafruit industries llc",
    ),
    (
        "https://www.digikey.de/de/products/detail/winbond-electronics/W956A8MBYA5I/15181915",
        "mpn",
        "W956A8MBYA5I",
        "winbond electronics",
    ),
    ("https://www.digikey.de/de/products/detail/molex/0152670709/4427461", "mpn", "0152670709", "molex"),
    (
        "https://www.digikey.co.uk/en/products/detail/stmicroelectronics/STM32F103C8T6/1646338",
        "mpn",
        "STM32F103C8T6",
        "stmicroelectronics",
    ),
    ("https://digikey.com/en/products/detail/adam-tech/IEC-GS-1-100/9831135", "mpn", "IEC-GS-1-100", "adam tech"),
    # Digi-Key, older shape: /product-detail/en/[<mfr>/]<MPN>/<Digi-Key SKU>/<id>
    ("https://www.digikey.com/product-detail/en/kemet/ESD-R-28C/399-10859-ND/4290925", "mpn", "ESD-R-28C", "kemet"),
    (
        "https://www.digikey.com/product-detail/en/on-semiconductor/1N4148TR/1N4148FSCT-ND/9356376",
        "mpn",
        "1N4148TR",
        "on semiconductor",
    ),
    (
        "http://www.digikey.com/product-detail/en/C5SMF-RJS-CT0W0BB1/C5SMF-RJS-CT0W0BB1-ND/2341832",
        "mpn",
        "C5SMF-RJS-CT0W0BB1",
        None,
    ),
    (
        "https://www.digikey.com/product-detail/en/molex/1050170001/WM1399CT-ND/2350885?utm_source=snapeda&utm_medium=aggregator",
        "mpn",
        "1050170001",
        "molex",
    ),
    # Mouser: /ProductDetail/<mfr>/<MPN>, any country site, and a seller SKU alone
    ("https://www.mouser.com/ProductDetail/Diodes-Incorporated/LMV358SG-13", "mpn", "LMV358SG-13", "Diodes Incorporated"),
    ("https://www.mouser.com/ProductDetail/Molex/22-17-2052/?qs=sGAEpiMZZMs%252bGHln7q6pm", "mpn", "22-17-2052", "Molex"),
    (
        "https://www.mouser.com/ProductDetail/Murata-Electronics/1264EY-150M%3dP3?qs=sGAEpiMZZMsg",
        "mpn",
        "1264EY-150M=P3",
        "Murata Electronics",
    ),
    (
        "https://ro.mouser.com/ProductDetail/STMicroelectronics/NUCLEO-U545RE-Q?qs=mELouGlnn3cp3Tn45zRmFA%3D%3D",
        "mpn",
        "NUCLEO-U545RE-Q",
        "STMicroelectronics",
    ),
    ("https://www.mouser.de/ProductDetail/Texas-Instruments/LM358DR", "mpn", "LM358DR", "Texas Instruments"),
    ("https://www.mouser.co.uk/ProductDetail/Texas-Instruments/NE555DR?qs=abc", "mpn", "NE555DR", "Texas Instruments"),
    ("https://www.mouser.com/ProductDetail/652-CR0603FX-1002ELF", "sku", "652-CR0603FX-1002ELF", None),
    ("https://www.mouser.com/ProductDetail/595-ADC128S102CIMTX", "sku", "595-ADC128S102CIMTX", None),
    ("https://eu.mouser.com/ProductDetail/81-GRM188R71H104KA3D", "sku", "81-GRM188R71H104KA3D", None),
    # Octopart: the part id ends the slug; /part/<mfr>/<MPN>
    ("https://octopart.com/lm358dr-texas+instruments-24534", "id", "24534", None),
    ("https://octopart.com/np2x-neutrik-113640/", "id", "113640", None),
    ("https://octopart.com/10103594-0001lf-amphenol+icc+%2F+fci-90333031", "id", "90333031", None),
    ("https://octopart.com/lm2611bmf%2Fnopb-texas+instruments-24812992?r=sp", "id", "24812992", None),
    ("https://octopart.com/part/stmicroelectronics/STM32F103T8U6", "mpn", "STM32F103T8U6", "stmicroelectronics"),
    (
        "https://octopart.com/part/texas-instruments/TCA6416ARTWR?utm_source=altium_a365_bom_portal",
        "mpn",
        "TCA6416ARTWR",
        "texas instruments",
    ),
]

NOT_A_PART = [
    "https://www.mouser.com/productdetail/?qs=jWmFlM7coATgElKtQd9PRA%3D%3D",  # encrypted query only
    "https://www.digikey.com/en/products/result?keywords=LM358",
    "https://www.digikey.com/en/products/filter/resistors/52",
    "https://www.digikey.com/en/product-highlight/y/yageo/low-ohmic-chip-resistors",
    "https://www.digikey.com/short/z4nh2b",
    "https://www.mouser.com/datasheet/2/276/0878342019_PCB_HEADERS-152849.pdf",
    "https://www.mouser.com/c/semiconductors/",
    "https://octopart.com/search?q=LM358",
    "https://octopart.com/manufacturers/texas-instruments",
    "https://octopart.com/electronic-parts/integrated-circuits-ics",
    "https://octopart.com/",
    "https://octopart.com/click/track?ak=1&sig=0",
    "https://www.ti.com/product/LM358",
    "https://digikey.com.evil.example/en/products/detail/texas-instruments/LM358DR/404872",
    "https://notmouser.com/ProductDetail/Texas-Instruments/LM358DR",
    "ftp://www.mouser.com/ProductDetail/Texas-Instruments/LM358DR",
    "https://www.mouser.com/ProductDetail/Texas-Instruments/" + "A" * 41,  # longer than any MPN
    "https://www.mouser.com/ProductDetail/Texas-Instruments/LM358%3Cscript%3E",  # not MPN characters
    "not a url at all",
]


@pytest.mark.parametrize(("url", "by", "value", "maker"), NAMED)
def test_a_part_page_names_its_part(url: str, by: str, value: str, maker: str | None) -> None:
    link = part_link(url)
    assert link is not None
    assert (link.by, link.value, link.maker) == (by, value, maker)
    assert link.url == url, "chat.unfurl is keyed by the URL exactly as Slack sent it"


@pytest.mark.parametrize("url", NOT_A_PART)
def test_a_url_that_names_no_part_gives_none(url: str) -> None:
    assert part_link(url) is None


@pytest.mark.parametrize(
    ("slug", "name"),
    [
        ("texas instruments", "Texas Instruments"),
        ("on semiconductor", "onsemi"),
        ("vishay dale", "Vishay"),
        ("te connectivity amp connectors", "TE Connectivity"),
        ("alps alpine", "ALPSALPINE"),
        ("analog devices inc maxim integrated", "Maxim Integrated"),
        ("Murata Electronics", "Murata"),
        ("Diodes Incorporated", "Diodes Inc."),
    ],
)
def test_a_distributors_maker_slug_matches_nexars_name(slug: str, name: str) -> None:
    assert same_maker(slug, name)


@pytest.mark.parametrize(
    ("slug", "name"),
    [("texas instruments", "STMicroelectronics"), ("analog devices inc", "CUI Devices"), ("microchip technology", "Nexperia")],
)
def test_another_maker_is_not_the_same_maker(slug: str, name: str) -> None:
    """Words every maker's name has ("devices", "technology", "inc") do not count."""
    assert not same_maker(slug, name)


def _part(mpn: str, maker: str, sku: str = "X-1") -> Part:
    offer = Offer(sku=sku, inventory_level=10, moq=1, packaging=None, click_url="", updated=None)
    return Part(mpn=mpn, manufacturer=maker, sellers=(Seller("Mouser", True, False, (offer,)),))


def test_the_part_nexar_answers_must_be_the_linked_part() -> None:
    by_mpn = PartLink("u", "Digi-Key", "mpn", "LM2611BMF-NOPB", "texas instruments")
    assert names_part(by_mpn, _part("LM2611BMF/NOPB", "Texas Instruments")), "Digi-Key writes / as -"
    assert not names_part(by_mpn, _part("LM2611BMFX/NOPB", "Texas Instruments")), "a closest match is another part"
    assert not names_part(by_mpn, _part("LM2611BMF/NOPB", "National Semiconductor")), "the URL says whose part"
    by_sku = PartLink("u", "Mouser", "sku", "595-LM358DR")
    assert names_part(by_sku, _part("LM358DR", "Texas Instruments", sku="595-LM358DR"))
    assert not names_part(by_sku, _part("LM358DR", "Texas Instruments", sku="296-1014-1-ND"))
