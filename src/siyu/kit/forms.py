"""Values typed into one box of a form, a query parameter or a CLI option."""

from __future__ import annotations


def comma_list(text: str) -> list[str]:
    """Items separated by commas (half- or full-width, as Chinese keyboards type them) or lines."""
    return [
        part.strip()
        for part in text.replace("，", ",").replace("\n", ",").split(",")
        if part.strip()
    ]
