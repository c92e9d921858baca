"""Public pages of published testimonials (gallery, one page each, feeds)."""

from django.urls import path

from . import feeds, views_gallery

app_name = "gallery"

urlpatterns = [
    path("", views_gallery.gallery, name="index"),
    path("flux.rss", feeds.rss, name="feed-rss"),
    path("flux.atom", feeds.atom, name="feed-atom"),
    path("flux.json", feeds.json_feed, name="feed-json"),
    path("<uuid:testimonial_id>/", views_gallery.detail, name="detail"),
    path("<uuid:testimonial_id>/lecteur/", views_gallery.player, name="player"),
    path("<uuid:testimonial_id>/sous-titres.vtt", views_gallery.captions, name="captions"),
]
