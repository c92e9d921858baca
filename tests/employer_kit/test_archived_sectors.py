"""Archived sectors (campaigns) are not offered in the kit's pickers."""

import pytest
from django.utils import timezone

from campaigns.models import Sector
from employer_kit.forms import KitFilterForm


@pytest.mark.django_db
def test_an_archived_sector_is_not_offered_in_the_kit_filter():
    """Reproduction (issue 16, sectors archived not deleted): "Santé" archived still appeared
    in the kit's sector filter, a choice that lists nothing."""
    sector = Sector.objects.exclude(archived_at__isnull=False).first()
    assert sector.slug in KitFilterForm().fields["secteur"].widget.render("secteur", "")
    Sector.objects.filter(pk=sector.pk).update(archived_at=timezone.now())
    offered = [s.slug for s in KitFilterForm().fields["secteur"].queryset]
    assert sector.slug not in offered and offered
