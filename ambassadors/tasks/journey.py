"""Tasks: journey."""
