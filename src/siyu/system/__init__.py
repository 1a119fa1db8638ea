"""Operational plumbing: background job records, health and readiness."""
