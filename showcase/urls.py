"""The public pages, under the language prefix (onprovence/urls.py).

Their names keep the `campaigns` namespace: they are the campaign's public addresses, which
campaigns' models (`get_absolute_url`), its admin (the preview link) and the shared templates
name, whichever app composes the pages.
"""

from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("campagne/apercu/<str:token>/", views.campaign_preview, name="preview"),
    path("campagne/<slug:slug>/", views.campaign, name="campaign"),
    path("secteurs/<slug:slug>/", views.sector, name="sector"),
]
