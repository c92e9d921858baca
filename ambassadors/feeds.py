"""Feeds of published testimonials for social-media tools: RSS 2.0, Atom and JSON Feed 1.1.

Each item carries the title, the quote, the transcript (from the captions), the poster and the
video URL. Feeds are cached under
the published version (`selectors.testimonials_published_version`), which changes whenever a
testimonial is published, unpublished, erased or edited, so a feed never outlives a removal.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from onprovence.encoders import MarkupSafeJSONEncoder

from . import keys, selectors
from .models import Testimonial
from .services.transcript import testimonial_transcript
from .templatetags.gallery import public_file_url

MAX_ITEMS = 50
CACHE_SECONDS = 600
MEDIA_NS = "http://search.yahoo.com/mrss/"


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _title(testimonial: Testimonial) -> str:
    name = testimonial.display_name or testimonial.first_name or _("Un habitant")
    if testimonial.sector:
        return _("%(name)s, %(sector)s") % {
            "name": name,
            "sector": testimonial.sector.display_name.lower(),
        }
    return name


def _summary(testimonial: Testimonial) -> str:
    if testimonial.quote:
        return f"« {testimonial.quote} »"
    return _("Témoignage vidéo d'une habitante ou d'un habitant d'Aix-Marseille-Provence.")


def _content(testimonial: Testimonial) -> str:
    """The summary, then the transcript (plain text from the captions) when there is one."""
    transcript = testimonial_transcript(testimonial)
    summary = _summary(testimonial)
    if not transcript:
        return summary
    return f"{summary}\n\n{_('Transcription')} :\n\n{transcript}"


def _items() -> list[Testimonial]:
    return list(selectors.testimonials_published()[:MAX_ITEMS])


class _MediaElements:
    """Adds Media RSS video and thumbnail elements, which social tools read for the poster."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:media": MEDIA_NS}

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:media": MEDIA_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement(
            "media:content", "", {"url": item["video"], "type": "video/mp4", "medium": "video"}
        )
        handler.addQuickElement("media:thumbnail", "", {"url": item["poster"]})


class MediaRssFeed(_MediaElements, Rss201rev2Feed):
    pass


class MediaAtomFeed(_MediaElements, Atom1Feed):
    pass


class TestimonialsRss(Feed):
    feed_type = MediaRssFeed
    url_name = "gallery:feed-rss"

    def title(self) -> str:
        return _("Tous Ambassadeurs — témoignages d'Aix-Marseille-Provence")

    def description(self) -> str:
        return _("Les témoignages vidéo publiés par One Provence.")

    def link(self) -> str:
        return _absolute(reverse("gallery:index"))

    def feed_url(self) -> str:
        # rel="self" from SITE_URL, not the request's Host: the feed is cached and served to all.
        return _absolute(reverse(self.url_name))

    def item_link(self, item: Testimonial) -> str:
        return _absolute(item.get_absolute_url())

    def items(self) -> list[Testimonial]:
        return _items()

    def item_title(self, item: Testimonial) -> str:
        return _title(item)

    def item_description(self, item: Testimonial) -> str:
        return _content(item)

    def item_pubdate(self, item: Testimonial):
        return item.published_at

    def item_updateddate(self, item: Testimonial):
        return item.updated_at

    def item_categories(self, item: Testimonial) -> list[str]:
        return ([item.sector.display_name] if item.sector else []) + item.tag_list

    def item_enclosures(self, item: Testimonial) -> list[Enclosure]:
        url = public_file_url(item.pk, keys.WEB, absolute=True)
        return [Enclosure(url, str(item.web_size or 0), "video/mp4")]

    def item_extra_kwargs(self, item: Testimonial) -> dict:
        return {
            "video": public_file_url(item.pk, keys.WEB, absolute=True),
            "poster": public_file_url(item.pk, keys.POSTER_JPEG, absolute=True),
        }


class TestimonialsAtom(TestimonialsRss):
    feed_type = MediaAtomFeed
    url_name = "gallery:feed-atom"

    def subtitle(self) -> str:
        return self.description()


def _cached(request: HttpRequest, kind: str, build) -> HttpResponse:
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = f"ambassadors:feed:{kind}:{language}:{selectors.testimonials_published_version()}"
    cached = cache.get(key)
    if cached is None:
        response = build(request)
        cached = (response.content, response["Content-Type"])
        cache.set(key, cached, CACHE_SECONDS)
    content, content_type = cached
    response = HttpResponse(content, content_type=content_type)
    # Feed readers revalidate each time: a removed testimonial disappears at once.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def rss(request: HttpRequest) -> HttpResponse:
    return _cached(request, "rss", TestimonialsRss())


@require_safe
def atom(request: HttpRequest) -> HttpResponse:
    return _cached(request, "atom", TestimonialsAtom())


def _json_feed(request: HttpRequest) -> HttpResponse:
    items = []
    for testimonial in _items():
        url = _absolute(testimonial.get_absolute_url())
        items.append(
            {
                "id": str(testimonial.pk),
                "url": url,
                "title": _title(testimonial),
                "content_text": _content(testimonial),
                "image": public_file_url(testimonial.pk, keys.POSTER_JPEG, absolute=True),
                "date_published": testimonial.published_at.isoformat(),
                "date_modified": testimonial.updated_at.isoformat(),
                "tags": ([testimonial.sector.display_name] if testimonial.sector else [])
                + testimonial.tag_list,
                "attachments": [
                    {
                        "url": public_file_url(testimonial.pk, keys.WEB, absolute=True),
                        "mime_type": "video/mp4",
                        **({"size_in_bytes": testimonial.web_size} if testimonial.web_size else {}),
                        **(
                            {"duration_in_seconds": round(testimonial.duration)}
                            if testimonial.duration
                            else {}
                        ),
                    }
                ],
            }
        )
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _("Tous Ambassadeurs — témoignages d'Aix-Marseille-Provence"),
        "description": _("Les témoignages vidéo publiés par One Provence."),
        "home_page_url": _absolute(reverse("gallery:index")),
        "feed_url": _absolute(reverse("gallery:feed-json")),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "items": items,
    }
    # <, > and & as \u escapes (as json_script does): the same JSON to a reader, but no markup a
    # careless page pasting the feed could run.
    return JsonResponse(
        feed,
        encoder=MarkupSafeJSONEncoder,
        content_type="application/feed+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_safe
def json_feed(request: HttpRequest) -> HttpResponse:
    return _cached(request, "json", _json_feed)
