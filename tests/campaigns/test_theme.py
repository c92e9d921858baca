"""The campaign's colours on its pages: a same-origin stylesheet, validated, AA, cached."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign, Placement
from campaigns.services import campaign_preview_token
from campaigns.theme import (
    AA_CONTRAST,
    HOUSE_ACCENT,
    HOUSE_PRIMARY,
    INK,
    PAGE_BACKGROUNDS,
    Theme,
    contrast_ratio,
    readable_on,
    text_on,
)
from tests.onprovence.test_security_headers import csp_directives

SEA, YELLOW = "#0f5c6e", "#ffcc00"
SEA_THEME = "/campagne/theme/0f5c6e-ffcc00.css"


@pytest.fixture
def sea_campaign(live_campaign):
    live_campaign.primary_color = SEA
    live_campaign.accent_color = YELLOW
    live_campaign.save()
    return live_campaign


def _properties(css: str) -> dict[str, str]:
    return dict(re.findall(r"(--campaign-[a-z-]+): ([^;]*);", css))


def _linked_theme(html: str) -> str | None:
    found = re.search(r'<link rel="stylesheet" href="(/campagne/theme/[^"]+)">', html)
    return found.group(1) if found else None


# --- The stylesheet ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_stylesheet_sets_the_campaigns_colours_and_readable_text_over_them(
    client, sea_campaign, django_assert_num_queries
):
    url = Theme.of(sea_campaign).url
    assert url.startswith(SEA_THEME + "?v=")

    with django_assert_num_queries(0):  # made from the address alone
        response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.cookies
    properties = _properties(response.content.decode())
    assert properties["--campaign-primary"] == SEA
    assert properties["--campaign-on-primary"] == "#ffffff"  # the sea is dark: white text
    assert properties["--campaign-primary-text"] == SEA  # 7:1 on the page: used as it is
    assert properties["--campaign-accent"] == YELLOW
    assert properties["--campaign-on-accent"] == INK  # yellow is light: dark text
    assert len(properties) == 9


@pytest.mark.django_db
def test_the_stylesheet_is_cached_for_a_year_and_answers_304_to_its_etag(client, sea_campaign):
    url = Theme.of(sea_campaign).url

    first = client.get(url)

    assert first["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    # Other colours: another document, another validator.
    other = client.get("/campagne/theme/0f5c6e-f2b13b.css", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200
    assert other["ETag"] != etag
    # A page from before a deployment that changed the CSS: served, but revalidated each time.
    stale = client.get(f"{SEA_THEME}?v=000000000000")
    assert stale.status_code == 200
    assert stale["Cache-Control"] == "public, no-cache"
    assert stale["ETag"] == etag


def test_a_colour_change_gives_a_new_address():
    assert Theme(SEA, YELLOW).url != Theme(SEA, "#ffcc01").url
    assert Theme(SEA, YELLOW).version != Theme(SEA, "#ffcc01").version


# --- Injection ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["red", "#ff;}*{", "#0f5c6", "0f5c6e", "#0f5c6g", "#f5c6e\n", "url(//)"]
)
def test_the_admin_refuses_anything_but_rrggbb(live_campaign, value):
    live_campaign.primary_color = value

    with pytest.raises(ValidationError) as raised:
        live_campaign.full_clean()

    assert raised.value.message_dict == {
        "primary_color": ["Indiquez une couleur au format #rrggbb, par exemple #9c3d1f."]
    }


@pytest.mark.django_db
def test_a_stored_value_that_is_not_a_colour_never_reaches_the_css(client, live_campaign):
    # Written around the validation (a shell, an import): the pages fall back to the house's.
    Campaign.objects.filter(pk=live_campaign.pk).update(
        primary_color="red;}*{", accent_color="#fff;}a"
    )
    live_campaign.refresh_from_db()

    theme = Theme.of(live_campaign)

    assert (theme.primary, theme.accent) == (HOUSE_PRIMARY, HOUSE_ACCENT)
    link = _linked_theme(client.get("/campagne/marque-employeur/").content.decode())
    assert link.startswith("/campagne/theme/9c3d1f-f2b13b.css?v=")
    css = client.get(link).content.decode()
    assert "red" not in css and "}*{" not in css and "#fff;" not in css


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/campagne/theme/red;}*-ffcc00.css",
        "/campagne/theme/0F5C6E-ffcc00.css",
        "/campagne/theme/0f5c6e-ffcc00%7D.css",
        "/campagne/theme/0f5c6e-ffcc00.css/",
        "/campagne/theme/0f5c6e-ffcc0.css",
        "/campagne/theme/0f5c6e-ffcc00;x.css",
    ],
)
def test_an_address_that_is_not_two_colours_is_not_found(client, path):
    assert client.get(path).status_code == 404


# --- Contrast (WCAG 2.1 AA, 4.5:1) ------------------------------------------------------


def test_text_over_a_campaign_colour_is_white_ink_or_black_whichever_reads():
    assert text_on("#0f5c6e") == "#ffffff"
    assert text_on("#ffcc00") == INK
    # Mid grey: white reads at 4.48:1 and ink at 3.7:1, both too little; black at 4.7:1.
    assert contrast_ratio("#ffffff", "#777777") < AA_CONTRAST
    assert text_on("#777777") == "#000000"


def test_a_light_primary_is_darkened_before_it_is_used_as_text():
    assert contrast_ratio(YELLOW, PAGE_BACKGROUNDS[0]) < 2
    darker = readable_on(YELLOW)
    assert darker != YELLOW
    assert min(contrast_ratio(darker, bg) for bg in PAGE_BACKGROUNDS) >= AA_CONTRAST
    assert readable_on(SEA) == SEA


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 0xFFFFFF), st.integers(0, 0xFFFFFF))
def test_every_text_and_background_pair_of_any_theme_meets_aa(primary, accent):
    properties = Theme(f"#{primary:06x}", f"#{accent:06x}").properties()

    for background in ("primary", "primary-hover", "accent", "accent-hover"):
        text = properties[f"--campaign-on-{background}"]
        colour = properties[f"--campaign-{background}"]
        assert contrast_ratio(text, colour) >= AA_CONTRAST, (background, colour, text)
    for page_background in PAGE_BACKGROUNDS:
        text = properties["--campaign-primary-text"]
        assert contrast_ratio(text, page_background) >= AA_CONTRAST, (text, page_background)


# --- Pages link it ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_campaign_pages_link_the_campaigns_stylesheet_after_the_house_one(client, sea_campaign):
    expected = Theme.of(sea_campaign).url
    for path in ("/", "/en/", "/campagne/marque-employeur/", "/secteurs/maritime/"):
        response = client.get(path)
        html = response.content.decode()

        assert _linked_theme(html) == expected, path
        # After site.css, so its properties win; and the policy still forbids inline styles.
        assert html.index("/static/css/site.css") < html.index(expected), path
        assert csp_directives(response)["style-src"] == ["'self'"], path


@pytest.mark.django_db
def test_the_preview_of_a_draft_links_the_drafts_colours(client):
    draft = Campaign.objects.create(
        name="Brouillon",
        slug="brouillon",
        starts_on=date(2027, 1, 1),
        hero_title="Bientôt",
        primary_color="#2f5d3a",
        accent_color="#ffcc00",
    )

    html = client.get(f"/campagne/apercu/{campaign_preview_token(campaign_id=draft.pk)}/")

    assert _linked_theme(html.content.decode()).startswith("/campagne/theme/2f5d3a-ffcc00.css?v=")


@pytest.mark.django_db
def test_without_a_campaign_the_home_page_keeps_the_house_colours_of_site_css(client):
    assert _linked_theme(client.get("/").content.decode()) is None


@pytest.mark.django_db
def test_a_colour_change_shows_on_the_cached_page_at_once(
    client, sea_campaign, django_capture_on_commit_callbacks
):
    assert _linked_theme(client.get("/").content.decode()).startswith(SEA_THEME)

    with django_capture_on_commit_callbacks(execute=True):
        sea_campaign.primary_color = "#5b4a8a"
        sea_campaign.save()

    assert _linked_theme(client.get("/").content.decode()).startswith(
        "/campagne/theme/5b4a8a-ffcc00.css?v="
    )


@pytest.mark.django_db
def test_the_ended_poster_page_of_a_scan_wears_its_campaigns_colours(client, sea_campaign):
    Placement.objects.create(
        campaign=sea_campaign,
        channel=Placement.Channel.STATION,
        place_name="Gare de l'Arbois",
        code="ended-poster",
        ends_on=date(2026, 10, 1),
    )

    response = client.get("/q/ended-poster")

    assert response.status_code == 410
    assert _linked_theme(response.content.decode()) == Theme.of(sea_campaign).url
    assert _linked_theme(client.get("/q/unknown-code").content.decode()) is None


# --- In the browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_campaign_page_shows_its_colours_in_chromium(browser, live_server, screenshot):
    from tests.browser import assert_accessible

    Campaign.objects.create(
        name="Marque employeur territoriale 2026",
        slug="marque-employeur-2026",
        status=Campaign.Status.LIVE,
        starts_on=date(2026, 9, 30),
        hero_title="Ici, on vit ce qu'on aime. Et on y travaille.",
        primary_color="#0f5c6e",  # sea
        accent_color="#ffcc00",  # yellow: needs dark text, and darkening as text
    )
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        page.goto(live_server.url + "/campagne/marque-employeur-2026/", wait_until="networkidle")

        def computed(selector: str, prop: str) -> str:
            return page.eval_on_selector(
                selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')"
            )

        assert computed("#testimonials-title", "color") == "rgb(15, 92, 110)"  # heading
        assert computed(".record-call h2", "color") == "rgb(255, 255, 255)"
        cta = ".hero .button--accent"
        assert computed(cta, "background-color") == "rgb(255, 204, 0)"
        assert computed(cta, "color") == "rgb(42, 31, 26)"  # ink on yellow
        assert computed(".kit-call .button--secondary", "color") == "rgb(15, 92, 110)"
        assert not [line for line in console if "Content Security Policy" in line]
        assert_accessible(page)  # axe-core checks the contrast of what it renders
        path = screenshot(page, "campaign-theme-phone")
        assert path.stat().st_size > 10_000
    finally:
        context.close()
