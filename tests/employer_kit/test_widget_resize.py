"""The widget fits its content (the frame follows the height the widget posts), falls back to
all sectors when the chosen one has no testimonial, and its cards show the job (issue 16)."""

import re

import pytest

from ambassadors.models import Status
from tests.browser import assert_accessible
from tests.factories import TestimonialFactory


@pytest.fixture
def three_testimonials(published_testimonial, kit_content):
    published_testimonial.job_title = "Ingénieure essais en vol"
    published_testimonial.save(update_fields=["job_title"])
    for name, job in (("Marc", "Technicien avionique"), ("Nadia", "Cheffe de projet")):
        TestimonialFactory(
            status=Status.PUBLISHED,
            published_at=published_testimonial.published_at,
            sector=kit_content["aero"],
            display_name=name,
            job_title=job,
            quote="Le matin au bureau, le soir aux calanques.",
        )
    return published_testimonial


@pytest.mark.django_db
def test_widget_falls_back_to_all_sectors_and_says_so(client, three_testimonials):
    """Before: `?secteur=energie` with no energy testimonial showed an empty widget."""
    page = client.get("/kit/widget/?secteur=energie").content.decode()
    assert "Pas encore de témoignage en Énergie : voici ceux de tous les secteurs." in page
    assert "Léa, ingénieure" in page and "Marc" in page
    english = client.get("/en/kit/widget/?secteur=energie").content.decode()
    assert "No testimonial in Energy yet: here are those of all sectors." in english


@pytest.mark.django_db
def test_widget_cards_show_the_job(client, three_testimonials):
    """Before: a card showed the name and sector only."""
    page = client.get("/kit/widget/?secteur=aeronautique").content.decode()
    jobs = re.findall(r'<p class="kit-widget__job">([^<]+)</p>', page)
    assert "Ingénieure essais en vol · Aéronautique" in jobs
    assert "Technicien avionique · Aéronautique" in jobs


@pytest.mark.django_db
def test_the_snippet_has_no_fixed_720_px_and_brings_the_sizing_script(client, kit_content):
    page = client.get("/kit/").content.decode()
    snippet = re.search(r'<textarea id="widget-snippet"[^>]*>(.*?)</textarea>', page, re.S)
    assert 'height="720"' not in snippet.group(1)
    assert "data-onprovence-widget" in snippet.group(1)
    assert "/static/js/kit-embed.js" in snippet.group(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_frame_takes_the_height_of_the_widgets_content(
    desktop_page, live_server, three_testimonials, settings
):
    """Before: a fixed 720 px frame, cut off or scrolling inside a company's page."""
    settings.SITE_URL = live_server.url
    page = desktop_page
    page.goto(live_server.url + "/kit/widget/?secteur=aeronautique")
    assert_accessible(page)

    host = page.context.new_page()
    try:
        html = (
            f'<iframe src="{live_server.url}/kit/widget/?secteur=aeronautique" width="640" '
            'height="480" title="Témoignages" style="border:0;max-width:100%" '
            "data-onprovence-widget></iframe>"
            f'<script src="{live_server.url}/static/js/kit-embed.js"></script>'
        )
        # A company's page: another origin than the widget's (frame-ancestors needs a real one).
        other = live_server.url.replace("localhost", "127.0.0.1")
        if other == live_server.url:
            other = live_server.url.replace("127.0.0.1", "localhost")
        host.goto(other + "/static/js/kit-embed.js")
        host.set_content(f"<!doctype html><html lang='fr'><body>{html}</body></html>")
        frame = host.locator("iframe")
        host.wait_for_function(
            "f => f.getBoundingClientRect().height !== 480", arg=frame.element_handle()
        )
        widget = next(f for f in host.frames if "/kit/widget/" in f.url)
        content = widget.evaluate("document.documentElement.getBoundingClientRect().height")
        height = frame.evaluate("f => f.getBoundingClientRect().height")
        assert abs(height - content) <= 2 and height != 720
        # Narrower: the cards wrap, the content grows, the frame follows.
        host.set_viewport_size({"width": 420, "height": 800})
        host.wait_for_function(
            "([f, h]) => Math.abs(f.getBoundingClientRect().height - h) > 50",
            arg=[frame.element_handle(), height],
        )
    finally:
        host.close()
