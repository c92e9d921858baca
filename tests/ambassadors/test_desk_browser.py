"""The moderator's desk in Chromium on a 1366×768 laptop screen (issue 15, "The moderator").

- the queue shows its "Signalements" column without a horizontal scroll, the admin's side menu
  open as a new moderator finds it;
- a moderator works through ten queued testimonials with the keyboard only (a approve, r refuse
  with a reason, the next one opening by itself); the time per testimonial is measured in the
  browser (navigation start of each review page) and printed (`pytest -s` shows it);
- axe-core on the queue, the review page and the refusal page; screenshots of the queue and the
  review page at 1366×768 (var/screenshots/desk-*.png, kept in docs/screenshots/).
"""

import datetime
import itertools
import statistics

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ambassadors.models import ConsentRecord, Status, Testimonial
from tests.browser import assert_accessible

from .moderation_support import *  # noqa: F403
from .moderation_support import LAPTOP, moderator_signs_in, page_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/admin/ambassadors/testimonial/?status__exact=in_review"


def _queued(make_testimonial, count: int, fields: dict | None = None) -> list[Testimonial]:
    """`count` testimonials in review, the first the oldest (the queue's order)."""
    made = []
    now = timezone.now()
    for index in range(count):
        testimonial = make_testimonial(Status.IN_REVIEW, **(fields or {}).get(index, {}))
        Testimonial.objects.filter(pk=testimonial.pk).update(
            status_changed_at=now - datetime.timedelta(hours=count - index)
        )
        made.append(testimonial)
    return made


def _accessible(page, errors: list[str]) -> None:
    """axe-core finds no serious violation. axe itself sets a style attribute on some
    elements, which the admin's CSP blocks (and logs): those lines are axe's, not the page's."""
    before = len(errors)
    assert_accessible(page)
    errors[before:] = [line for line in errors[before:] if "Applying inline style" not in line]


def test_queue_at_1366x768_shows_the_flags_column_without_horizontal_scroll(
    laptop_page, live_server, make_testimonial, moderator, screenshot
):
    """Before: at 1366 px with the side menu open, "Signalements" sat right of the viewport
    behind the results' horizontal scroll, and a duplicate's flag (its detail holds the other
    testimonial's id) broke one word per line, with no link."""
    first, second, third = _queued(make_testimonial, 3)
    Testimonial.objects.filter(pk=second.pk).update(
        display_name="Karim, docker",
        commune="Port-Saint-Louis-du-Rhône",
        flags=[
            {
                "code": "duplicate",
                "label": "Doublon d'un envoi précédent",
                "detail": f"même fichier que {first.pk}",
            },
            {"code": "short", "label": "Vidéo très courte", "detail": "2.0 s"},
            {"code": "silence", "label": "Silence ou quasi-silence", "detail": "80% de la durée"},
        ],
    )
    Testimonial.objects.filter(pk=third.pk).update(
        display_name="Nadia, soudeuse",
        flags=[
            {
                "code": "near_duplicate",
                "label": "Quasi-doublon d'un envoi précédent",
                "detail": f"même image que {first.pk} (écart 0,2 %)",
            }
        ],
    )
    ConsentRecord.objects.filter(testimonial=third).update(is_minor=True)
    page = laptop_page
    errors = page_errors(page)
    moderator_signs_in(page, live_server, moderator)
    page.goto(live_server.url + QUEUE)
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    assert page.locator("#nav-sidebar").is_visible()  # the side menu is open
    screenshot(page, "desk-queue", full_page=False)

    header = page.locator("#result_list thead th.column-flags_display")
    cells = page.locator("#result_list tbody td.field-flags_display")
    # Inside the viewport and inside the results' visible area (not clipped by its scroll).
    results = page.locator("#changelist .results").bounding_box()
    right = min(LAPTOP["width"], results["x"] + results["width"])
    for box in [header.bounding_box()] + [cells.nth(i).bounding_box() for i in range(3)]:
        assert box is not None
        assert box["x"] >= results["x"] and box["x"] + box["width"] <= right, (box, results)
        assert box["y"] + box["height"] <= LAPTOP["height"], box
    scroll = page.locator("#changelist .results").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll[0] <= scroll[1], f"the results scroll horizontally: {scroll}"
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]

    # Short badges on one line each; the duplicate's links to the other testimonial.
    for badge in page.locator("#result_list .moderation-flag").all():
        box = badge.bounding_box()
        assert box["height"] < 30, (badge.inner_text(), box)
    duplicate = page.locator("#result_list a.moderation-flag--link").first
    expect(duplicate).to_contain_text("doublon")
    _accessible(page, errors)
    duplicate.click()
    page.wait_for_url(f"**/admin/ambassadors/testimonial/{first.pk}/change/")
    assert errors == [], "\n".join(errors)


def test_ten_queued_testimonials_worked_with_the_keyboard_time_per_testimonial(
    laptop_page, live_server, make_testimonial, moderator, screenshot
):
    """A moderator opens the queue and decides ten testimonials with the keyboard only: `a`
    approves (next free slot), `r` opens the refusal page where the reason list has the focus
    (arrow down, Enter), and each decision opens the next testimonial. Before: no keys, no
    next; each decision went through a confirmation page and back to the same testimonial."""
    names = [f"Ambassadeur {index + 1}" for index in range(10)]
    queued = _queued(
        make_testimonial,
        10,
        {index: {"display_name": name} for index, name in enumerate(names)},
    )
    Testimonial.objects.filter(pk=queued[3].pk).update(
        flags=[{"code": "silence", "label": "Silence", "detail": "90% de la durée"}]
    )
    # A minor whose parent confirmed: approved like the others, with the badge on the desk.
    ConsentRecord.objects.filter(testimonial=queued[5]).update(
        is_minor=True, parent_confirmed_at=timezone.now()
    )
    refused = {3, 6, 8}
    page = laptop_page
    errors = page_errors(page)
    moderator_signs_in(page, live_server, moderator)
    page.goto(live_server.url + QUEUE)
    expect(page.locator("#result_list tbody tr")).to_have_count(10)
    _accessible(page, errors)

    page.keyboard.press("n")
    origins = []
    for index, testimonial in enumerate(queued):
        page.wait_for_url(f"**/admin/ambassadors/testimonial/{testimonial.pk}/change/")
        desk = page.locator(".moderation-desk")
        expect(desk).to_contain_text(f"témoignage 1 sur {10 - index}")
        # The moderator watches: the player has the video's first frame.
        page.wait_for_function(
            "() => document.querySelector('video.moderation-player').readyState >= 2",
            timeout=15000,
        )
        origins.append(page.evaluate("performance.timeOrigin"))
        if index == 0:
            expect(page.locator(".moderation-summary")).to_contain_text("Durée")
            screenshot(page, "desk-review", full_page=False)
            # Typing in a field types: the keys decide nothing there.
            page.locator("#id_tags").click()
            page.keyboard.type("narr")
            expect(page.locator("#id_tags")).to_have_value("narr")
            assert page.url.endswith(f"/{testimonial.pk}/change/")
            page.locator("#id_tags").fill("")
            page.evaluate("document.activeElement.blur()")
            _accessible(page, errors)
        if index == 5:
            expect(desk.locator(".moderation-minor")).to_be_visible()
        if index in refused:
            page.keyboard.press("r")
            reason = page.locator("select#id_reason")
            expect(reason).to_be_focused()
            if index == 3:
                _accessible(page, errors)
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
        else:
            page.keyboard.press("a")
    # The last decision leaves the queue empty: its page says so.
    page.wait_for_url("**/admin/ambassadors/testimonial/?status__exact=in_review")
    expect(page.get_by_text("La file de modération est vide")).to_be_visible()
    origins.append(page.evaluate("performance.timeOrigin"))

    per_testimonial = [(b - a) / 1000 for a, b in itertools.pairwise(origins)]
    # The test's own work (axe-core, a screenshot, typing in a field) on pages 1 and 4.
    plain = [seconds for index, seconds in enumerate(per_testimonial) if index not in (0, 3)]
    print(
        f"\nDesk walk-through, 10 testimonials at 1366×768 with the keyboard "
        f"(7 approved with a, 3 refused with r ↓ Enter; page to next page, no viewing time): "
        f"{statistics.mean(plain):.2f} s per testimonial on average, median "
        f"{statistics.median(plain):.2f} s (min {min(plain):.2f} s, max {max(plain):.2f} s; "
        f"all ten {sum(per_testimonial):.1f} s with the test's checks)"
    )
    statuses = {t.pk: t.status for t in Testimonial.objects.filter(pk__in=[q.pk for q in queued])}
    expected = {
        q.pk: Status.REJECTED if index in refused else Status.APPROVED
        for index, q in enumerate(queued)
    }
    assert statuses == expected
    for index in refused:
        assert Testimonial.objects.get(pk=queued[index].pk).rejection_reason
    assert errors == [], "\n".join(errors)
