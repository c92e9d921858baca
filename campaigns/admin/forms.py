"""The forms of placements: on the campaign's page (no deletion once counted) and their own
page (a change of destination scheduled for a later date)."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Placement, validate_destination


class PlacementInlineFormSet(BaseInlineFormSet):
    """A placement with counts cannot be deleted from the campaign's page: it is ended."""

    def clean(self) -> None:
        super().clean()
        for form in self.deleted_forms:
            placement = form.instance
            if placement.pk and services.placement_has_counts(placement_id=placement.pk):
                raise ValidationError(
                    _(
                        "« %(place)s » a des scans : il ne peut pas être supprimé, seulement "
                        "terminé (donnez-lui une date de fin ; son QR code affichera « cette "
                        "affiche est terminée »)."
                    ),
                    params={"place": placement.place_name},
                    code="placement_has_counts",
                )


class PlacementForm(forms.ModelForm):
    """The placement, and a change of destination to schedule for a later date."""

    scheduled_destination = forms.CharField(
        label=_("destination programmée"),
        required=False,
        max_length=500,
        validators=[validate_destination],
        help_text=_(
            "Avec une date : la destination des scans à partir de ce jour-là, à 0 h (vide : "
            "la page d'accueil des ambassadeurs)."
        ),
    )
    scheduled_on = forms.DateField(
        label=_("à partir du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Placement
        fields = [
            "campaign",
            "channel",
            "place_name",
            "starts_on",
            "ends_on",
            "declared_audience",
            "destination",
        ]

    def clean_scheduled_on(self):
        day = self.cleaned_data.get("scheduled_on")
        if day is not None and day <= timezone.localdate():
            raise ValidationError(
                _(
                    "Choisissez une date à venir ; pour un changement immédiat, modifiez la "
                    "destination ci-dessus."
                ),
                code="scheduled_past",
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scheduled_destination") and not cleaned.get("scheduled_on"):
            self.add_error("scheduled_on", _("Indiquez la date du changement."))
        return cleaned
