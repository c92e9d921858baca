"""Routes outside the language prefix: printed QR codes must never change."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("q/<str:code>", views.scan, name="qr-scan"),
    # A code typed by hand sometimes gains a slash, or the whole address is typed in capitals
    # (/Q/AB3DE): same scan, same page.
    re_path(r"^[qQ]/(?P<code>[^/]+)/?$", views.scan),
    # Anything else under /q/ (/q/, /q/a/b) gets the scan's own "unknown code" page, with its
    # headers (no-store, the phone's language), not the site's generic 404.
    re_path(r"^[qQ]/(?P<code>.*)$", views.scan),
    # A campaign's colours as CSS: the address is made of them (see campaigns/theme.py).
    re_path(
        r"^campagne/theme/(?P<primary>[0-9a-f]{6})-(?P<accent>[0-9a-f]{6})\.css$",
        views.theme_stylesheet,
        name="campaign-theme",
    ),
]
