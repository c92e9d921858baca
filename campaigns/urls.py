from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("campagne/apercu/<str:token>/", views.campaign_preview, name="preview"),
    path("campagne/<slug:slug>/", views.campaign, name="campaign"),
    path("secteurs/<slug:slug>/", views.sector, name="sector"),
]
