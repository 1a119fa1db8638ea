"""Fans (customers): one profile per person across platforms, identities, tags, notes, PII."""
