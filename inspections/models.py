"""Models of the inspections app (filled in by later issues)."""
