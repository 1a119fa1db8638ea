"""Tests for the demo data generators."""
