"""Public pages of published testimonials (gallery, one page each, feeds)."""

app_name = "gallery"

urlpatterns: list = []
