"""Views of the blueprint."""
