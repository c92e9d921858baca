"""Routes outside the language prefix: printed QR codes must never change."""

from django.urls import path

from . import views

urlpatterns = [
    path("q/<str:code>", views.scan, name="qr-scan"),
    # A code typed by hand sometimes gains a slash: same scan, same page.
    path("q/<str:code>/", views.scan),
]
