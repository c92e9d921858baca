"""Transactional tests get the rows the migrations seed, even after an earlier test's flush."""

import pytest

from ambassadors.models import ConsentText
from campaigns.models import KeyFigure, Sector


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_may_empty_the_seeded_tables():
    Sector.objects.all().delete()
    KeyFigure.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_finds_them_again():
    assert Sector.objects.count() == 4
    assert KeyFigure.objects.count() == 4
    assert ConsentText.objects.filter(is_current=True).count() == 1
