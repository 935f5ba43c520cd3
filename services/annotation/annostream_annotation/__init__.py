"""Annotation service: every edit is an event; frame projections are replayed from them."""
