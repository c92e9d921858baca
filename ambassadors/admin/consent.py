"""The release's versions and the proofs of consent, shown and exported (PDF, JSON)."""

import json
import uuid

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import CONSENT_TEXT_LOCKED_FIELDS, ConsentRecord, ConsentText
from ..services.consent import (
    LANGUAGES,
    ConsentProofNotFound,
    consent_choices_labelled,
    consent_proof_export,
    consent_proof_pdf,
    consent_text_new_version,
)
from .display import parent_state


def consent_proof_html(record: ConsentRecord) -> str:
    """The proof as the admin shows it: facts, choices in French with their values, the text
    shown (folded) and the export buttons."""
    local = timezone.localtime

    def export_url(fmt: str) -> str:
        return reverse("admin:ambassadors_consentrecord_export", args=[record.testimonial_ref, fmt])

    return render_to_string(
        "ambassadors/admin/consent_proof.html",
        {
            "record": record,
            "accepted_at": local(record.accepted_at).strftime("%d/%m/%Y %H:%M:%S"),
            "anonymised_at": record.anonymised_at
            and local(record.anonymised_at).strftime("%d/%m/%Y %H:%M"),
            "language": LANGUAGES.get(record.text_language, record.text_language),
            "choices": consent_choices_labelled(record.choices),
            "parent_state": parent_state(record.testimonial) if record.testimonial else "",
            "pdf_url": export_url("pdf"),
            "json_url": export_url("json"),
        },
    )


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """Versions of the release. An accepted one is read-only: a new wording is a new version."""

    list_display = ["title", "version", "is_current", "accepted_count", "created_at"]
    fields = [
        "version",
        "title",
        "title_en",
        "body",
        "body_en",
        "channels",
        "duration_months",
        "is_current",
    ]
    actions = ["new_version_selected"]
    change_form_template = "ambassadors/admin/consenttext_change_form.html"

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}

    @admin.display(description=_("acceptations"))
    def accepted_count(self, obj: ConsentText) -> int:
        return ConsentRecord.objects.filter(consent_text=obj).count()

    def has_delete_permission(self, request, obj=None) -> bool:
        # Proofs point at an accepted version (and protect it in the database too).
        return super().has_delete_permission(request, obj) and not (obj and obj.is_accepted)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_accepted:
            return [*super().get_readonly_fields(request, obj), *CONSENT_TEXT_LOCKED_FIELDS]
        return super().get_readonly_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if obj is not None:
            count = self.accepted_count(obj)
            extra_context.update(consent_locked=count > 0, accepted_count=count)
            if self.has_add_permission(request):
                extra_context["new_version_url"] = reverse(
                    "admin:ambassadors_consenttext_new_version", args=[obj.pk]
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="ambassadors_consenttext_new_version",
            ),
            *super().get_urls(),
        ]

    def _new_version(self, request, source_id: int) -> ConsentText:
        created = consent_text_new_version(source_id=source_id)
        self.log_addition(request, created, [{"added": {}}])
        self.message_user(
            request,
            gettext(
                "Nouvelle version « %(new)s » créée à partir de la version %(old)s : modifiez-la, "
                "puis cochez « en vigueur » pour la présenter aux résidents."
            )
            % {"new": created.version, "old": ConsentText.objects.get(pk=source_id).version},
        )
        return created

    def new_version_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(ConsentText, pk=pk)
        created = self._new_version(request, source.pk)
        return HttpResponseRedirect(
            reverse("admin:ambassadors_consenttext_change", args=[created.pk])
        )

    @admin.action(
        description=_("Créer une nouvelle version à partir de celle-ci"), permissions=["add"]
    )
    def new_version_selected(self, request, queryset):
        for source_id in queryset.values_list("pk", flat=True):
            self._new_version(request, source_id)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["testimonial_ref", "text_version", "accepted_at", "is_minor", "anonymised_at"]
    list_filter = ["text_version", "text_language", "is_minor"]
    search_fields = ["=testimonial_ref"]
    # Shown in the proof section below, in French and folded.
    exclude = ["choices", "text_shown", "text_sha256", "text_language"]
    readonly_fields = ["proof"]

    class Media:
        css = {"all": ["ambassadors/admin/moderation.css"]}

    @admin.display(description=_("preuve"))
    def proof(self, obj: ConsentRecord) -> str:
        return consent_proof_html(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "proof/<uuid:testimonial_ref>/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="ambassadors_consentrecord_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, testimonial_ref: uuid.UUID, fmt: str):
        """Download one testimonial's proof of consent as PDF or JSON."""
        if not self.has_view_permission(request) or fmt not in ("pdf", "json"):
            raise PermissionDenied
        try:
            if fmt == "pdf":
                data = consent_proof_pdf(testimonial_ref=testimonial_ref)
                content_type = "application/pdf"
            else:
                proof = consent_proof_export(testimonial_ref=testimonial_ref)
                data = json.dumps(proof, ensure_ascii=False, indent=2).encode()
                content_type = "application/json; charset=utf-8"
        except ConsentProofNotFound as error:
            raise Http404(gettext("Aucune preuve de consentement enregistrée.")) from error
        response = HttpResponse(data, content_type=content_type)
        name = f"preuve-consentement-{testimonial_ref}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
