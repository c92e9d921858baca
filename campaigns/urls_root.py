"""Routes outside the language prefix: printed QR codes must never change."""

urlpatterns: list = []
