"""Models of the activities app (filled in by later issues)."""
