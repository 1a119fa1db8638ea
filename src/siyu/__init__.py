"""Siyu: private-domain operations for live commerce."""

__version__ = "0.1.0"
