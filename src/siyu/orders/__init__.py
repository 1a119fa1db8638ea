"""Orders: orders, items, refunds, and the importers that read seller back-end exports."""
