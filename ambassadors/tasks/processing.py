"""Tasks: processing."""
