"""Routes outside the language prefix: printed QR codes must never change."""

from django.urls import path

from . import views

urlpatterns = [
    path("q/<str:code>", views.scan, name="qr-scan"),
]
