"""Factories of the rows tests need (factory_boy): one place that knows how each is built.

`TestimonialFactory(status=...)` creates a testimonial directly in the status a test needs, with
its consent record (tests may set a status directly; services must go through
`testimonial_transition`). Pass `consent=False` for a testimonial that has not consented yet,
`consent__<field>=` to change its record, `filmed=True` for the media facts a processed video
has. The fixtures (`make_testimonial`, `published_testimonial`, `make_asset`...) are thin
wrappers around these.
"""

import datetime
import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image, ImageDraw

from ambassadors.models import ConsentRecord, ConsentText, Status, Testimonial
from campaigns.models import Campaign, Placement, Sector
from employer_kit.models import KitAsset, Recruiter

# The shape the pipeline stores (ProbeFacts.as_dict()) for a 2-second 320×180 clip.
TINY_PROBE = {
    "format_name": "mov,mp4,m4a,3gp,3g2,mj2",
    "duration": 2.0,
    "video": {"codec": "h264", "width": 320, "height": 180, "rotation": 0},
    "audio": {"codec": "aac", "channels": 1},
}


def png_bytes(size=(320, 200), color="#0f5c6e", text: str | None = None) -> bytes:
    """A small real PNG (a coloured frame with a yellow square, optionally some text)."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="#f2b13b")
    if text:
        draw.text((10, 10), text, fill="#ffffff")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def seeded_sector(slug: str = "aeronautique") -> Sector:
    """A sector the migrations seed (restored after transactional tests)."""
    return Sector.objects.get(slug=slug)


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "Campagne test"
    slug = factory.Sequence(lambda n: f"campagne-test-{n}")
    starts_on = factory.LazyFunction(timezone.localdate)


class PlacementFactory(DjangoModelFactory):
    class Meta:
        model = Placement

    campaign = factory.SubFactory(CampaignFactory)
    channel = Placement.Channel.STATION
    place_name = "Gare Saint-Charles"


class ConsentRecordFactory(DjangoModelFactory):
    """The proof of consent of `testimonial`, to the current consent text."""

    class Meta:
        model = ConsentRecord

    testimonial = None
    testimonial_ref = factory.LazyAttribute(lambda record: record.testimonial.pk)
    consent_text = factory.LazyFunction(lambda: ConsentText.objects.get(is_current=True))
    text_version = factory.LazyAttribute(lambda record: record.consent_text.version)
    accepted_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    choices = factory.LazyFunction(lambda: {"diffusion": True, "reseaux_sociaux": True})
    placement = factory.LazyAttribute(
        lambda record: record.testimonial.placement if record.testimonial else None
    )


class TestimonialFactory(DjangoModelFactory):
    """A resident's testimonial in `status` (in review by default) with its consent record."""

    class Meta:
        model = Testimonial
        skip_postgeneration_save = True

    class Params:
        # What the pipeline leaves on a processed video (the tiny MP4 of the moderation tests).
        filmed = factory.Trait(duration=2.0, probe=factory.LazyFunction(lambda: dict(TINY_PROBE)))

    status = Status.IN_REVIEW
    first_name = "Léa"
    last_name = "Martin"
    email = "lea.martin@example.org"
    commune = "Marignane"
    job_title = "Ingénieure avionique"
    display_name = "Léa, ingénieure"
    quote = "Ici, je travaille sur des hélicoptères et je vais à la plage le soir."
    language = "fr"
    sector = factory.LazyFunction(seeded_sector)
    placement = None
    published_at = factory.LazyAttribute(
        lambda testimonial: timezone.now() if testimonial.status == Status.PUBLISHED else None
    )
    consent = factory.RelatedFactory(ConsentRecordFactory, factory_related_name="testimonial")


class RecruiterFactory(DjangoModelFactory):
    """A recruiter of a company, confirmed (pass `confirmed_at=None` for one who is not)."""

    class Meta:
        model = Recruiter

    email = "rh@airbus-test.fr"
    company = "Airbus Helicopters"
    confirmed_at = factory.LazyFunction(timezone.now)


class KitAssetFactory(DjangoModelFactory):
    """An asset of the employer kit with its file (`content`, saved as `filename`) stored."""

    class Meta:
        model = KitAsset

    title = "Logo"
    kind = KitAsset.Kind.LOGO
    credits = "One Provence"
    content = factory.LazyFunction(png_bytes)
    filename = "logo.png"

    @classmethod
    def _create(cls, model_class, *args, content: bytes, filename: str, **kwargs):
        asset = model_class(*args, **kwargs)
        asset.file.save(filename, ContentFile(content), save=False)
        asset.size_bytes = len(content)
        asset.save()
        return asset
