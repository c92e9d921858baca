import uuid

import pytest
from django.core import signing

from ambassadors.links import read_resident_token, resident_status_url, resident_withdraw_url


def test_links_carry_a_signed_token_that_reads_back_to_the_testimonial(settings):
    settings.SITE_URL = "https://ambassadeurs.example"
    testimonial_id = uuid.uuid4()

    url = resident_status_url(testimonial_id)

    assert url.startswith("https://ambassadeurs.example/ambassadeurs/suivi/")
    assert read_resident_token(url.rstrip("/").rsplit("/", 1)[1]) == testimonial_id
    assert resident_withdraw_url(testimonial_id, "en").startswith(
        "https://ambassadeurs.example/en/ambassadeurs/retrait/"
    )


def test_a_forged_token_is_refused():
    token = resident_status_url(uuid.uuid4()).rstrip("/").rsplit("/", 1)[1]

    with pytest.raises(signing.BadSignature):
        read_resident_token(token[:-2] + "xx")
