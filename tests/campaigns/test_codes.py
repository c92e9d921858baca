"""Printed codes people can read and type: case-insensitive, no look-alike characters, and
the punctuation a copied link drags along ignored; codes printed before keep working."""

import re

import pytest

from campaigns import scans
from campaigns.models import CODE_ALPHABET, FunnelCount, Placement, new_placement_code
from campaigns.scans import scan_counts_flush
from tests.factories import PlacementFactory

LOOK_ALIKES = set("lI1O0o")


def scans_in_database(placement) -> int:
    return sum(
        FunnelCount.objects.filter(placement=placement, step="scan").values_list("count", flat=True)
    )


@pytest.fixture
def readable(live_campaign):
    return PlacementFactory(campaign=live_campaign, place_name="Gare d'Aix-en-Provence TGV")


def test_new_codes_are_lower_case_without_characters_people_confuse():
    """Reproduction: codes were `token_urlsafe` (mixed case, l/I/1 and O/0, "-" and "_"): a
    code copied from a poster by hand often missed."""
    codes = {new_placement_code() for _ in range(3000)}

    assert len(codes) == 3000
    characters = set("".join(codes))
    assert not characters & LOOK_ALIKES
    assert characters <= set(CODE_ALPHABET)
    assert all(re.fullmatch(r"[a-z2-9]{10}", code) for code in codes)
    assert len(CODE_ALPHABET) ** 10 > 2**48  # as hard to guess as before


@pytest.mark.django_db
def test_a_new_placement_gets_a_readable_code(readable):
    assert re.fullmatch(rf"[{CODE_ALPHABET}]{{10}}", readable.code)


def test_a_code_typed_in_capitals_is_the_same_placement(client, readable):
    """Reproduction: /q/ABC answered "Ce QR code ne nous dit rien" for the code abc."""
    upper = client.get(f"/q/{readable.code.upper()}")
    mixed = client.get(f"/q/{readable.code[:4].upper()}{readable.code[4:]}/")
    scan_counts_flush()

    assert upper.status_code == 302
    assert upper["Location"] == f"/ambassadeurs/?p={readable.code}"  # the canonical code
    assert mixed["Location"] == f"/ambassadeurs/?p={readable.code}"
    assert scans_in_database(readable) == 2


@pytest.mark.parametrize("tail", [".", ")", "),", ";", "!", "%C2%BB", "...", "%E2%80%9D", ":"])
def test_the_punctuation_of_a_copied_link_is_ignored(client, readable, tail):
    """Reproduction: "Scannez ou ouvrez …/q/<code>." copied from an email or a post kept the
    full stop (or the closing bracket) and landed on the unknown-code page."""
    response = client.get(f"/q/{readable.code}{tail}")
    scan_counts_flush()

    assert response.status_code == 302
    assert response["Location"] == f"/ambassadeurs/?p={readable.code}"
    assert scans_in_database(readable) == 1


@pytest.mark.parametrize("old_code", ["Ab3_xYz-", "q0OlI1-_", "ZZtop_9A"])
def test_codes_printed_before_keep_working_exactly(client, live_campaign, old_code):
    placement = PlacementFactory(campaign=live_campaign, code=old_code)

    exact = client.get(f"/q/{old_code}")
    copied = client.get(f"/q/{old_code}).")
    scan_counts_flush()

    assert exact["Location"] == f"/ambassadeurs/?p={old_code}"
    assert copied["Location"] == f"/ambassadeurs/?p={old_code}"
    assert scans_in_database(placement) == 2


def test_an_old_mixed_case_code_and_a_new_code_never_mix_up(client, live_campaign):
    old = PlacementFactory(campaign=live_campaign, code="AbCdEfGh", place_name="old")
    new = PlacementFactory(campaign=live_campaign, code="abcdefgh", place_name="new")

    assert client.get("/q/AbCdEfGh")["Location"].endswith("p=AbCdEfGh")
    assert client.get("/q/abcdefgh")["Location"].endswith("p=abcdefgh")
    assert client.get("/q/ABCDEFGH")["Location"].endswith("p=abcdefgh")
    scan_counts_flush()
    assert (scans_in_database(old), scans_in_database(new)) == (1, 2)


def test_variants_people_type_do_not_grow_the_resolved_codes(client, readable):
    for variant in [readable.code.upper(), readable.code + ".", readable.code.title() + ")"]:
        client.get(f"/q/{variant}")

    assert set(scans._resolved) == {readable.code}


@pytest.mark.django_db
def test_unknown_codes_with_punctuation_still_get_the_friendly_page(client):
    response = client.get("/q/nope.")

    assert response.status_code == 404
    assert "Ce QR code ne nous dit rien" in response.content.decode()
    assert Placement.objects.count() == 0
