"""Hostile input, fuzzed with hypothesis: the `/q/<code>` redirect and the part-upload API.

Bounded (a fixed number of examples each) and derandomised, so CI replays the same inputs.
The JSON endpoints are fuzzed on both backends (local files and the S3 endpoint on loopback);
the local part endpoint (PUT) exists on the local backend only.
"""

import dataclasses
import json
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ambassadors import conf, keys, uploads
from ambassadors.models import Status, Testimonial
from ambassadors.views import SESSION_KEY
from campaigns.models import Campaign, FunnelCount, Placement
from campaigns.scans import scan_counts_flush
from onprovence.storage import list_prefix, private_storage

pytestmark = pytest.mark.django_db


def fuzzed(max_examples: int):
    # Function-scoped fixtures (database, client, settings) are shared by the examples on
    # purpose: each example must leave them as it found them, which is what is asserted.
    return hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- /q/<code> --------------------------------------------------------------------------------

TRICKY_CODES = [
    "../",
    "../../etc/passwd",
    "..%2F..%2Fadmin",
    "%2e%2e%2f",
    "%00",
    "\x00",
    "a\x00b",
    "\u202eedoc",
    "co\u200bde",
    "é",
    "%C3%A9",
    "%ff%fe",
    "x" * 5000,
    "🙂" * 300,
    "?p=1",
    "#frag",
    " ",
    "%20",
    "'; DROP TABLE campaigns_placement; --",
    "<script>alert(1)</script>",
]

codes = st.one_of(
    st.sampled_from(TRICKY_CODES),
    st.text(max_size=60),
    st.text(alphabet="./%-_~\\\x00", max_size=30),
    st.text(max_size=30).map(lambda text: quote(text, safe="")),
    st.text(min_size=1, max_size=8).map(lambda text: text * 400),
)


@pytest.fixture
def known_placement(db) -> Placement:
    campaign = Campaign.objects.create(
        name="Fuzz", slug="fuzz", starts_on="2026-09-30", hero_title="Fuzz", status="live"
    )
    return Placement.objects.create(campaign=campaign, channel="station", place_name="Gare")


def assert_redirects_to_landing(client, placement: Placement) -> None:
    response = client.get(f"/q/{placement.code}")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/ambassadeurs/"
    assert parse_qs(location.query)["p"] == [placement.code]


@fuzzed(max_examples=150)
@given(code=codes)
def test_any_qr_code_gets_a_redirect_or_a_friendly_refusal_never_a_500(
    client, known_placement, code
):
    scan_counts_flush()
    rows_before = FunnelCount.objects.count()

    response = client.get("/q/" + code)
    head = client.head("/q/" + code)

    assert response.status_code in {302, 404, 410}, (code, response.status_code)
    assert head.status_code == response.status_code
    if response.status_code == 302:
        # Only the known code (as typed, or with the trailing slash the route allows).
        assert code.rstrip("/") == known_placement.code
    assert scan_counts_flush() == 0
    assert FunnelCount.objects.count() == rows_before


def test_a_code_with_a_nul_byte_gets_the_friendly_page(client, known_placement):
    """Found by the fuzzing: PostgreSQL refused the NUL in the lookup and the scan gave a 500."""
    response = client.get("/q/%00")

    assert response.status_code == 404
    assert "Ce QR code ne nous dit rien" in response.content.decode()
    assert client.get(f"/q/{known_placement.code}%00").status_code == 404


def test_the_known_code_still_redirects_and_counts_after_the_fuzzing(client, known_placement):
    for code in TRICKY_CODES:
        client.get("/q/" + code)

    assert_redirects_to_landing(client, known_placement)
    assert scan_counts_flush() == 1
    assert list(FunnelCount.objects.values_list("placement_id", "step", "count")) == [
        (known_placement.pk, "scan", 1)
    ]


# --- The part-upload API ------------------------------------------------------------------------

START, SIGN, STATE, COMPLETE = (
    reverse(f"ambassadors:{name}")
    for name in ("upload-start", "upload-sign", "upload-state", "upload-complete")
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
sizes = st.one_of(
    st.sampled_from([0, -1, 1, conf.MAX_UPLOAD_BYTES, conf.MAX_UPLOAD_BYTES + 1, 2**63, 1e309]),
    st.sampled_from(["12", "1e3", "-5", "0x10", "NaN", "", " 7 "]),
    json_values,
)
content_types = st.one_of(
    st.sampled_from(
        [
            *sorted(uploads.ALLOWED_CONTENT_TYPES),
            "video/webm;codecs=vp8,opus",
            "VIDEO/MP4",
            "image/png",
            "text/html",
            "",
            "video/",
        ]
    ),
    json_values,
)
part_numbers = st.one_of(
    st.lists(
        st.one_of(
            st.integers(min_value=-3, max_value=10),
            st.integers(min_value=-(2**70), max_value=2**70),
            st.sampled_from(["1", "01", "1.5", "x", None, 1.5, float("inf"), float("nan")]),
        ),
        max_size=8,
    ),
    json_values,
)


def resident_session(client, testimonial: Testimonial):
    session = client.session
    session[SESSION_KEY] = str(testimonial.pk)
    session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key
    return client


@pytest.fixture(params=["local", "s3"])
def upload_world(request, client, settings):
    """A testimonial after consent, its resident's browser session, and another testimonial.

    On local storage (tiny parts) and on the S3 endpoint on loopback (moto)."""
    if request.param == "local":
        request.getfixturevalue("local_storage")
    settings.AMBASSADORS_UPLOAD_START_RATE = (10_000, 3600)
    settings.AMBASSADORS_UPLOAD_PART_SIZE = (
        16 if request.param == "local" else uploads.S3_MIN_PART_SIZE
    )
    mine = Testimonial.objects.create(first_name="Nadia", email="nadia@example.org")
    other = Testimonial.objects.create(first_name="Other", email="other@example.org")
    resident_session(client, mine)
    valid = uploads.upload_start(testimonial_id=mine.pk, size=40, content_type="video/mp4")
    foreign = uploads.upload_start(testimonial_id=other.pk, size=40, content_type="video/mp4")
    prefix = keys.testimonial_prefix(mine.pk)
    tokens = {
        "valid": uploads.session_token(valid),
        "foreign": uploads.session_token(foreign),
        # Signed by the server but pointing out of the prefix: only a leaked key could do it.
        "dotdot": uploads.session_token(
            dataclasses.replace(valid, key=f"{prefix}/../{other.pk}/original")
        ),
        "absolute": uploads.session_token(dataclasses.replace(valid, key="/etc/passwd")),
    }
    yield {
        "client": client,
        "testimonial": mine,
        "tokens": tokens,
        "prefix": prefix,
        "backend": request.param,
    }
    uploads.s3_abort_prefix(prefix="testimonials/")


def tampered(token: str, position: int, char: str) -> str:
    position %= len(token)
    return token[:position] + char + token[position + 1 :]


def upload_tokens(tokens: dict):
    return st.one_of(
        st.sampled_from(sorted(tokens.values())),
        st.builds(
            tampered,
            st.sampled_from(sorted(tokens.values())),
            st.integers(min_value=0, max_value=500),
            st.characters(codec="ascii"),
        ),
        st.sampled_from(
            [
                signing.dumps({"testimonial_id": "x"}, salt="wrong-salt"),
                signing.dumps([1, 2], salt=uploads.SESSION_SALT, compress=True) + "x",
                "",
                "../../etc/passwd",
            ]
        ),
        json_values,
    )


def assert_refused_or_fine(response) -> dict:
    """Never a 500; a refusal is a 4xx JSON body with a message the page can show."""
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if response.status_code >= 400:
        assert 400 <= response.status_code < 500
        assert isinstance(body.get("error"), str) and body["error"].strip(), body
        assert isinstance(body.get("code"), str) and body["code"], body
    return body


def assert_nothing_changed(world) -> None:
    testimonial = Testimonial.objects.get(pk=world["testimonial"].pk)
    assert testimonial.status == Status.CREATED
    assert list_prefix(private_storage(), world["prefix"]) == []


def post_json(client, url: str, body) -> object:
    return client.post(url, json.dumps(body), content_type="application/json")


@fuzzed(max_examples=120)
@given(
    body=st.one_of(
        st.fixed_dictionaries({"size": sizes, "type": content_types}),
        st.fixed_dictionaries(
            {"size": sizes, "type": content_types, "duration": sizes}, optional={"x": json_values}
        ),
        json_values,
    ),
    raw=st.one_of(st.none(), st.binary(max_size=40)),
)
def test_fuzzed_starts_are_refused_with_a_message_and_change_nothing(upload_world, body, raw):
    client = upload_world["client"]
    if raw is None:
        response = post_json(client, START, body)
    else:
        response = client.post(START, raw, content_type="application/json")

    payload = assert_refused_or_fine(response)
    if response.status_code == 200:
        assert payload["partCount"] >= 1 and payload["partSize"] >= 1
        session = uploads.session_from_token(
            payload["upload"], testimonial_id=upload_world["testimonial"].pk
        )
        assert 0 < session.size <= conf.MAX_UPLOAD_BYTES
        assert session.content_type in uploads.ALLOWED_CONTENT_TYPES
    assert_nothing_changed(upload_world)


@pytest.mark.parametrize(
    "url,body",
    [
        (START, '{"size": Infinity, "type": "video/mp4"}'),
        (START, '{"size": 1e999, "type": "video/mp4"}'),
        (START, '{"size": -Infinity, "type": "video/mp4"}'),
        (SIGN, '{"upload": "%(valid)s", "parts": [1, Infinity]}'),
    ],
)
def test_an_infinite_number_is_an_invalid_request(upload_world, url, body):
    """Found by the fuzzing: int(inf) raised OverflowError, uncaught, so the API gave a 500."""
    body = body.replace("%(valid)s", upload_world["tokens"]["valid"])
    response = upload_world["client"].post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["error"] == "Requête invalide."
    assert_nothing_changed(upload_world)


@fuzzed(max_examples=120)
@given(data=st.data())
def test_fuzzed_signs_states_and_completions_are_refused_and_change_nothing(upload_world, data):
    client, tokens = upload_world["client"], upload_world["tokens"]
    token = data.draw(upload_tokens(tokens), label="upload")
    parts = data.draw(part_numbers, label="parts")
    extra = data.draw(st.dictionaries(st.text(max_size=5), json_values, max_size=2), label="extra")

    signed = post_json(client, SIGN, {**extra, "upload": token, "parts": parts})
    state = post_json(client, STATE, {**extra, "upload": token})
    completed = post_json(client, COMPLETE, {**extra, "upload": token})

    signed_body = assert_refused_or_fine(signed)
    assert_refused_or_fine(state)
    assert_refused_or_fine(completed)
    if signed.status_code == 200:
        assert token == tokens["valid"]
        assert all(1 <= int(number) <= 3 for number in signed_body["urls"])
    if token != tokens["valid"]:
        assert signed.status_code >= 400 or not signed_body["urls"]
    # No part was sent, so no completion may succeed, whatever the body says.
    assert completed.status_code == 409
    assert_nothing_changed(upload_world)


# Parts go straight to S3 on the S3 backend (presigned URLs): only the local endpoint is ours.
@pytest.mark.parametrize("upload_world", ["local"], indirect=True)
@fuzzed(max_examples=60)
@given(
    number=st.integers(min_value=1, max_value=3),
    body=st.binary(max_size=40),
    token_noise=st.one_of(
        st.none(), st.text(alphabet="abcdefXYZ0123456789:-_", min_size=1, max_size=30)
    ),
)
def test_fuzzed_local_part_puts_only_store_a_part_of_the_expected_size(
    upload_world, number, body, token_noise
):
    client = upload_world["client"]
    session = uploads.session_from_token(
        upload_world["tokens"]["valid"], testimonial_id=upload_world["testimonial"].pk
    )
    url = uploads.upload_sign_parts(session=session, numbers=[number])[number]
    if token_noise is not None:
        url = url.rstrip("/") + token_noise + "/"

    response = client.generic("PUT", url, data=body, content_type="application/octet-stream")

    assert response.status_code < 500
    stored = uploads.upload_parts(session=session)
    if token_noise is None and len(body) == session.expected_part_size(number):
        assert response.status_code == 200
        assert stored[number] == len(body)
        uploads.upload_abort(session=session)
    else:
        assert 400 <= response.status_code < 500
        assert response.json()["error"]
        assert stored == {}
    assert_nothing_changed(upload_world)
