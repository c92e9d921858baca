"""The review queue's filters: automatic flags, duration, time in the status, minors."""

import datetime

from django.contrib import admin
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .display import FLAG_LABELS


class FlagFilter(admin.SimpleListFilter):
    title = _("signalements automatiques")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        codes = dict.fromkeys(code for code in FLAG_LABELS if code in self._canonical)
        return [("any", _("au moins un")), ("none", _("aucun"))] + [
            (code, FLAG_LABELS[code]) for code in codes
        ]

    _canonical = ("silence", "black", "frozen", "short", "duplicate", "near_duplicate")

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(flags=[])
        if value == "any":
            return queryset.exclude(flags=[])
        # A text search in the JSON works on PostgreSQL and SQLite, for "code" or {"code": …}.
        aliases = [code for code, label in FLAG_LABELS.items() if label == FLAG_LABELS[value]]
        flags_text = Cast("flags", TextField())
        matching = queryset.none()
        for alias in aliases:
            matching |= queryset.alias(flags_text=flags_text).filter(
                flags_text__contains=f'"{alias}"'
            )
        return matching


class DurationFilter(admin.SimpleListFilter):
    title = _("durée")
    parameter_name = "duration"
    RANGES = {"lt30": (None, 30), "30to60": (30, 60), "60to90": (60, 90), "gt90": (90, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt30", _("moins de 30 s")),
            ("30to60", _("30 à 60 s")),
            ("60to90", _("60 à 90 s")),
            ("gt90", _("plus de 90 s")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        if low is not None:
            queryset = queryset.filter(duration__gte=low)
        if high is not None:
            queryset = queryset.filter(duration__lt=high)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("ancienneté dans le statut")
    parameter_name = "age"
    DAYS = {"lt1": (None, 1), "1to3": (1, 3), "gt3": (3, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt1", _("moins d'un jour")),
            ("1to3", _("1 à 3 jours")),
            ("gt3", _("plus de 3 jours")),
        ]

    def queryset(self, request, queryset):
        if self.value() not in self.DAYS:
            return queryset
        now = timezone.now()
        low, high = self.DAYS[self.value()]
        if low is not None:
            queryset = queryset.filter(status_changed_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(status_changed_at__gt=now - datetime.timedelta(days=high))
        return queryset


class MinorFilter(admin.SimpleListFilter):
    title = _("Mineur")
    parameter_name = "mineur"

    def lookups(self, request, model_admin):
        return [("oui", _("oui")), ("non", _("non"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(consent__is_minor=True)
        if self.value() == "non":
            return queryset.exclude(consent__is_minor=True)
        return queryset
