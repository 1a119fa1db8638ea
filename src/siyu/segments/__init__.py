"""Saved segments: audiences written in the filter language, over fans and their metrics."""
