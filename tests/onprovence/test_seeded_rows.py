"""Transactional tests get the rows the migrations seed, even after an earlier test's flush.

The two tests run one after the other on one xdist worker (same group): the first empties the
seeded tables and proves it did, the second proves `serialized_rollback` brought them back.
"""

import pytest
from django.contrib.auth.models import Group

from ambassadors.models import ConsentText
from campaigns.models import KeyFigure, Sector

pytestmark = pytest.mark.xdist_group("seeded-rows")


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_may_empty_the_seeded_tables():
    assert Sector.objects.exists() and KeyFigure.objects.exists()

    Sector.objects.all().delete()
    KeyFigure.objects.all().delete()
    Group.objects.filter(name="Modération").delete()

    assert not Sector.objects.exists()
    assert not KeyFigure.objects.exists()
    assert not Group.objects.filter(name="Modération").exists()


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_finds_them_again():
    assert Sector.objects.count() == 4
    assert KeyFigure.objects.count() == 4
    assert ConsentText.objects.filter(is_current=True).count() == 1
    assert Group.objects.get(name="Modération").permissions.exists()
