from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from . import views

admin.site.site_header = "One Provence — Tous Ambassadeurs"
admin.site.site_title = "One Provence"
admin.site.index_title = "Administration de la plateforme"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("media/private/<str:token>", views.private_media, name="private-media"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("campaigns.urls_root")),
]

urlpatterns += i18n_patterns(
    path("ambassadeurs/", include("ambassadors.urls")),
    path("temoignages/", include("ambassadors.urls_gallery")),
    path("kit/", include("employer_kit.urls")),
    path("", include("showcase.urls")),
    prefix_default_language=False,
)

if not settings.S3_PRIVATE_BUCKET:
    # Embedded default only: published media straight from the local public folder.
    urlpatterns.insert(
        0,
        re_path(
            r"^media/public/(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT / "public"},
        ),
    )
