"""The top layer: what needs several apps at once (the public pages, demo data)."""
