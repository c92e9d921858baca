"""Public campaign pages: live campaigns only, published testimonials only, figures with sources."""

import re

import pytest
from django.utils import timezone

from ambassadors.keys import POSTER_JPEG, POSTER_WEBP, testimonial_key
from ambassadors.models import Status
from campaigns.models import Campaign, KeyFigure, Sector
from campaigns.services import campaign_preview_token
from onprovence.storage import public_storage

pytestmark = pytest.mark.django_db


def test_home_shows_the_key_figures_with_their_sources_in_french(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Indice de bonheur des habitants" in html
    assert "7,8/10" in html
    assert "contre 7,4/10 — moyenne nationale" in html
    assert "Source : ImageTerr 2024 — IMPGT, Aix-Marseille Université, 2024" in html
    # A narrow no-break space before % in French.
    assert "83\u202f%" in html
    assert "contre 70\u202f% — dans les autres grandes villes françaises" in html
    assert "Source : Bloom Consulting" in html
    # "17 % d'économie touristique" would be a share of it: the study says 17 % more.
    assert "d&#x27;économie touristique et d&#x27;investissements étrangers en plus pour" in html
    assert "d&#x27;attraction de talents en plus pour +0,1 point" in html


def test_home_in_english_uses_the_english_texts(client, live_campaign):
    response = client.get("/en/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Here, we live what we love." in html
    assert "Residents&#x27; happiness index" in html
    assert "7.8/10" in html and "83%" in html and "\u202f" not in html
    assert "against 7.4/10 — national average" in html
    assert "against 70% — in other large French cities" in html
    assert "Source: ImageTerr 2024" in html
    assert "The region in figures" in html
    assert "Skip to content" in html
    assert 'href="/en/ambassadeurs/"' in html and 'href="/en/kit/"' in html
    assert 'href="/en/secteurs/maritime/"' in html


def test_a_figure_with_a_source_link_links_to_it(client):
    KeyFigure.objects.filter(source_name="Bloom Consulting").update(
        source_url="https://www.bloom-consulting.com/"
    )

    html = client.get("/").content.decode()

    assert '<a href="https://www.bloom-consulting.com/" rel="noopener">Bloom Consulting</a>' in html


def test_a_hidden_figure_is_not_shown(client):
    KeyFigure.objects.filter(source_name="Bloom Consulting").update(is_active=False)

    assert "Bloom Consulting" not in client.get("/").content.decode()


def test_the_four_sectors_are_seeded_and_linked(client):
    html = client.get("/").content.decode()

    for slug, name in (
        ("aeronautique", "Aéronautique"),
        ("energie", "Énergie"),
        ("maritime", "Maritime"),
        ("logistique", "Logistique"),
    ):
        assert f'<a class="sector-card__link" href="/secteurs/{slug}/">{name}</a>' in html


def test_home_shows_the_live_campaign_and_its_asks(client, live_campaign):
    html = client.get("/").content.decode()

    assert '<h1 id="hero-title">Ici, on vit ce qu&#x27;on aime.</h1>' in html
    cta = '<a class="button button--accent" href="/ambassadeurs/">Je deviens ambassadeur</a>'
    assert cta in html
    assert 'href="/kit/"' in html


def test_only_live_campaigns_are_public(client, live_campaign):
    draft = Campaign.objects.create(
        name="Brouillon", slug="brouillon", starts_on="2027-01-01", hero_title="Pas encore"
    )
    ended = Campaign.objects.create(
        name="Ancienne",
        slug="ancienne",
        status=Campaign.Status.ENDED,
        starts_on="2025-01-01",
        hero_title="Fini",
    )

    assert client.get("/campagne/marque-employeur/").status_code == 200
    assert client.get("/campagne/brouillon/").status_code == 404
    assert client.get("/campagne/ancienne/").status_code == 404
    home = client.get("/").content.decode()
    assert draft.hero_title not in home and ended.hero_title not in home


def test_without_a_live_campaign_home_still_tells_the_story(client):
    Campaign.objects.create(name="B", slug="b", starts_on="2027-01-01", hero_title="Brouillon")

    html = client.get("/").content.decode()

    assert "Aix-Marseille-Provence, racontée par celles et ceux qui y vivent" in html
    assert "Brouillon" not in html


def test_a_draft_campaign_is_visible_through_its_signed_preview_link(client):
    draft = Campaign.objects.create(
        name="Printemps", slug="printemps", starts_on="2027-03-01", hero_title="Bientôt"
    )

    response = client.get(f"/campagne/apercu/{campaign_preview_token(campaign_id=draft.pk)}/")

    assert response.status_code == 200
    assert "Bientôt" in response.content.decode()
    assert "Aperçu de « Printemps » (brouillon)" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response.cookies == {}
    assert client.get("/campagne/apercu/forged-token/").status_code == 404


def test_only_published_testimonials_are_shown(client, make_testimonial):
    make_testimonial(display_name="Publiée", quote="Je suis en ligne.")
    for status in (Status.IN_REVIEW, Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
        make_testimonial(status=status, display_name=f"Cachée {status}", quote=f"Pas {status}")

    html = client.get("/").content.decode()

    assert "Publiée" in html and "« Je suis en ligne. »" in html
    assert "Cachée" not in html and "Pas " not in html


def test_a_testimonial_card_shows_its_public_poster_name_commune_sector_and_quote(
    client, make_testimonial
):
    testimonial = make_testimonial(display_name="Camille", commune="Marignane")

    html = client.get("/").content.decode()

    store = public_storage()
    assert f'srcset="{store.url(testimonial_key(testimonial.pk, POSTER_WEBP))}"' in html
    assert f'src="{store.url(testimonial_key(testimonial.pk, POSTER_JPEG))}"' in html
    # The card leads to the testimonial's page, where the video plays.
    assert (
        f'<a class="testimonial-card__link" href="/temoignages/{testimonial.pk}/">Camille</a>'
        in html
    )
    assert ", Marignane</span>" in html
    assert '<p class="testimonial-card__sector">Aéronautique</p>' in html
    english = client.get("/en/").content.decode()
    assert f'href="/en/temoignages/{testimonial.pk}/">Camille</a>' in english
    sector_page = client.get("/secteurs/aeronautique/").content.decode()
    assert f'href="/temoignages/{testimonial.pk}/">Camille</a>' in sector_page


def test_a_sector_page_shows_its_testimonials_figures_and_kit_assets(client, make_testimonial):
    from employer_kit.models import KitAsset

    maritime = Sector.objects.get(slug="maritime")
    make_testimonial(sector_slug="maritime", display_name="Yanis", quote="Le port, c'est ma vie.")
    make_testimonial(sector_slug="energie", display_name="Inès", quote="ITER.")
    KeyFigure.objects.create(
        value=1,
        unit="er",
        label="port de France",
        source_name="Grand Port Maritime de Marseille",
        year=2024,
        sector=maritime,
    )
    KitAsset.objects.create(title="Fiche filière maritime", kind="brochure", sector=maritime)
    KitAsset.objects.create(
        title="Ancienne fiche",
        kind="brochure",
        sector=maritime,
        available_until=timezone.localdate().replace(year=2020),
    )

    html = client.get("/secteurs/maritime/").content.decode()

    assert '<h1 id="sector-title">Maritime</h1>' in html
    assert "Yanis" in html and "Inès" not in html
    assert "Source : Grand Port Maritime de Marseille, 2024" in html
    assert "Source : Bloom Consulting" in html  # the region's figures too
    assert "Fiche filière maritime" in html and "Ancienne fiche" not in html
    assert 'href="/kit/?secteur=maritime"' in html
    assert client.get("/secteurs/nulle-part/").status_code == 404


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_a_sector_page_names_an_assets_kind_once(client, prefix):
    from employer_kit.models import KitAsset

    maritime = Sector.objects.get(slug="maritime")
    for title, asset_kind in [
        ("Brochure « Pourquoi la Provence »", "brochure"),
        ("Fiche filière maritime", "brochure"),
        ("Video: le port à l'aube", "video"),
        ("Photos du Vieux-Port", "photo"),
    ]:
        KitAsset.objects.create(title=title, kind=asset_kind, sector=maritime)

    html = client.get(f"{prefix}/secteurs/maritime/").content.decode()

    items = re.findall(r'<li class="kit-assets__item">(.*?) <span', html)
    assert items == [
        "Brochure « Pourquoi la Provence »",
        '<span class="kit-assets__kind">brochure</span> Fiche filière maritime',
        "Photos du Vieux-Port",
        "Video: le port à l&#x27;aube",
    ]


def test_a_sector_figure_stays_off_the_home_page(client):
    KeyFigure.objects.create(
        value=12, unit="", label="formes de radoub", source_name="Chambre X", sector_id=1
    )

    assert "formes de radoub" not in client.get("/").content.decode()


def test_pages_run_a_fixed_number_of_queries_then_come_from_the_cache(
    client, make_testimonial, django_assert_num_queries
):
    for index in range(8):
        make_testimonial(display_name=f"T{index}", sector_slug="maritime")

    # campaign, figures, sectors, testimonials (with their sector)
    with django_assert_num_queries(4):
        assert client.get("/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200
    # sector, then campaign, sector figures, region figures, testimonials, kit assets, sectors
    with django_assert_num_queries(7):
        assert client.get("/secteurs/maritime/").status_code == 200
    with django_assert_num_queries(1):  # the sector lookup only
        assert client.get("/secteurs/maritime/").status_code == 200


def test_a_published_testimonial_shows_up_at_once_despite_the_cache(
    client, make_testimonial, django_capture_on_commit_callbacks
):
    assert "Nouvelle" not in client.get("/").content.decode()  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        make_testimonial(display_name="Nouvelle")

    assert "Nouvelle" in client.get("/").content.decode()


def test_public_pages_set_no_cookie_and_a_strict_content_security_policy(client, live_campaign):
    for path in ("/", "/en/", "/secteurs/energie/", "/campagne/marque-employeur/"):
        response = client.get(path)

        assert response.status_code == 200
        assert response.cookies == {}
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        # A page that uses no nonce gets no nonce placeholder either (browsers reject it).
        assert "'nonce'" not in csp
        assert "style=" not in response.content.decode()
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
