"""Writes on testimonials, one module per concern; the status machine is in `status`."""
