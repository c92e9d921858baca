"""The forms of the moderation admin: what moderators may edit, and each decision's page."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import RejectionReason, Testimonial
from ..services.captions import MAX_CAPTIONS_BYTES, captions_validate, testimonial_captions_text
from ..services.decisions import EDITABLE_FIELDS, QUOTE_EMPTIED, testimonial_quote_missing


class CaptionsEditorWidget(forms.Textarea):
    """The WebVTT text box with a cue-by-cue editor (ambassadors/admin/captions-editor.js).

    The script moves the editor under the review player (`video.moderation-player`): click a
    cue to seek, press Enter while the video plays to end the current cue, type its text;
    split, merge, shift. It writes WebVTT into the text box, which stays for pasting; saving
    validates it as before (`captions_validate`). Without the script, the text box alone.
    """

    template_name = "ambassadors/admin/widgets/captions_editor.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["labels_id"] = f"{context['widget']['attrs'].get('id', name)}-labels"
        # The script's words, translated here; %(n)s, %(time)s… are filled in by the script.
        context["labels"] = {
            "cue": gettext("Sous-titre %(n)s"),
            "seek": gettext("placer la lecture au début du sous-titre %(n)s"),
            "text": gettext("Texte du sous-titre %(n)s"),
            "shift": gettext("décaler le sous-titre %(n)s"),
            "minus1": gettext("−1 s"),
            "minus01": gettext("−0,1 s"),
            "plus01": gettext("+0,1 s"),
            "plus1": gettext("+1 s"),
            "split": gettext("Scinder"),
            "merge": gettext("Fusionner avec le suivant"),
            "remove": gettext("Supprimer"),
            "ofCue": gettext("le sous-titre %(n)s"),
            "created": gettext("Sous-titre %(n)s créé, de %(start)s à %(end)s : tapez son texte."),
            "seeked": gettext("Lecture placée à %(time)s."),
            "shifted": gettext("Sous-titre %(n)s : de %(start)s à %(end)s."),
            "splitDone": gettext("Sous-titre %(n)s scindé en deux."),
            "merged": gettext("Sous-titres %(n)s et %(m)s fusionnés."),
            "removed": gettext("Sous-titre %(n)s supprimé."),
            "tooEarly": gettext(
                "Trop tôt : laissez la vidéo avancer avant de terminer un sous-titre."
            ),
            "noPlayer": gettext("Pas de vidéo sur cette page : le texte WebVTT reste modifiable."),
        }
        return context

    class Media:
        css = {"all": ["ambassadors/admin/captions-editor.css"]}
        js = ["ambassadors/admin/captions-editor.js"]


class TestimonialForm(forms.ModelForm):
    captions_file = forms.FileField(
        label=_("Fichier de sous-titres (WebVTT)"),
        required=False,
        help_text=_("Un fichier .vtt remplace les sous-titres ci-dessous."),
    )
    captions_text = forms.CharField(
        label=_("Sous-titres (WebVTT)"),
        required=False,
        widget=CaptionsEditorWidget(attrs={"rows": 8, "cols": 70, "class": "vtt-editor"}),
        help_text=_(
            "Une ligne « WEBVTT », puis pour chaque sous-titre : une ligne "
            "« 00:00:01.000 --> 00:00:04.000 » et son texte, séparés par une ligne vide. "
            "Videz le champ pour supprimer les sous-titres."
        ),
    )

    # Set by speech-draft.js when the moderator loads the automatic draft into the cue editor
    # ("Utiliser le brouillon"; the input is in the speech panel): saving then accepts it.
    speech_draft_used = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Testimonial
        fields = list(EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.has_captions:
            self.initial["captions_text"] = testimonial_captions_text(
                testimonial_id=self.instance.pk
            )

    def clean_quote(self) -> str:
        """Refused when it empties the quote a public card shows (`testimonial_edit`'s rule)."""
        quote = self.cleaned_data.get("quote", "")
        if "quote" in self.changed_data and testimonial_quote_missing(
            status=self.instance.status, quote=quote
        ):
            raise ValidationError(gettext(QUOTE_EMPTIED))
        return quote

    def clean_captions_file(self):
        upload = self.cleaned_data.get("captions_file")
        if upload:
            if upload.size > MAX_CAPTIONS_BYTES:
                raise ValidationError(_("Le fichier de sous-titres dépasse 100 Ko."))
            return captions_validate(upload.read())
        return None

    def clean_captions_text(self):
        text = self.cleaned_data.get("captions_text", "")
        return captions_validate(text) if text.strip() else ""

    def captions_change(self) -> str | None:
        """The new captions text ("" removes them), or None when they did not change."""
        if self.cleaned_data.get("captions_file"):
            return self.cleaned_data["captions_file"]
        new = self.cleaned_data.get("captions_text", "")
        old = (self.initial.get("captions_text") or "").replace("\r\n", "\n").strip()
        return None if new.strip() == old else new


# --- Moderation action forms (one page for a single testimonial or a selection) -----------------


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(
        label=_("motif"),
        queryset=RejectionReason.objects.filter(is_active=True),
        required=False,
        empty_label=_("— aucun modèle —"),
    )
    details = forms.CharField(
        label=_("précisions envoyées au résident"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Écrites dans la langue du résident ; ajoutées après le texte du motif."),
    )

    def clean(self):
        data = super().clean()
        if not data.get("reason") and not (data.get("details") or "").strip():
            raise ValidationError(_("Choisissez un motif ou écrivez-le."))
        return data


class ScheduleForm(forms.Form):
    publish_at = forms.SplitDateTimeField(
        label=_("publication le"),
        required=False,
        # Each input named for screen readers: the field's label points at neither of them.
        widget=forms.SplitDateTimeWidget(
            date_attrs={"type": "date", "aria-label": _("date de publication")},
            time_attrs={"type": "time", "aria-label": _("heure de publication")},
        ),
        help_text=_("Vide : les prochains créneaux libres du rythme de publication."),
    )


class ApproveForm(ScheduleForm):
    note = forms.CharField(label=_("note interne"), required=False, max_length=500)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note interne"), required=False, max_length=500)


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("note interne"),
        required=False,
        max_length=500,
        help_text=_(
            "Le refus est annulé et le témoignage revient dans la file. Le résident n'est pas "
            "prévenu maintenant : il recevra l'e-mail de la prochaine décision."
        ),
    )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Je confirme : la vidéo et les données personnelles seront effacées."),
        required=True,
    )
    note = forms.CharField(label=_("motif (historique)"), required=False, max_length=500)
