"""Connectors to the systems where a private domain lives (WeCom first)."""
