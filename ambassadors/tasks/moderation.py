"""Tasks: moderation."""
