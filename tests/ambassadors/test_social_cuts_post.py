"""The suggested post of a social pack speaks of one person, in French and English.

Reproduction (issue 15): the French post said "Elles et ils vivent et travaillent… Découvrez
son témoignage" (plural, then singular); the English one "They live… Watch their testimonial".
"""

import re

import pytest

from ambassadors.models import Status
from ambassadors.services.social import social_post_texts
from campaigns.models import Sector
from tests.factories import TestimonialFactory

pytestmark = pytest.mark.django_db

PLURAL_FR = re.compile(r"\b(elles|ils|vivent|travaillent|leurs?)\b", re.IGNORECASE)
PLURAL_EN = re.compile(r"\b(they|their|live|work)\b", re.IGNORECASE)


@pytest.mark.parametrize("with_sector", [True, False])
def test_the_suggested_post_is_singular_in_french_and_english(with_sector):
    sector = Sector.objects.order_by("pk").first() if with_sector else None
    assert sector is not None or not with_sector
    testimonial = TestimonialFactory(status=Status.APPROVED, sector=sector, quote="Ici, je vis.")

    posts = social_post_texts(testimonial)

    french, english = posts["fr"], posts["en"]
    sentence_fr = french.split("\n")[3]
    sentence_en = english.split("\n")[3]
    assert not PLURAL_FR.search(sentence_fr), sentence_fr
    assert not PLURAL_EN.search(sentence_en), sentence_en
    assert sentence_fr.startswith("Vivre et travailler dans la Métropole Aix-Marseille-Provence")
    assert "Découvrez son témoignage en vidéo : http" in sentence_fr
    assert sentence_en.startswith("Living and working in the Aix-Marseille-Provence metropolis")
    assert "Watch the video testimonial: http" in sentence_en
    if sector:
        assert f"dans la filière {sector.display_name.lower()}." in sentence_fr
        assert " sector. Watch" in sentence_en
