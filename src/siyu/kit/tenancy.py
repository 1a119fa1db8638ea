"""What a domain may know of a workspace it is handed, without the workspace domain's tables."""

from __future__ import annotations

from typing import Protocol


class Tenant(Protocol):
    """A workspace as other domains see it (the console's and fan pages' ``workspace``)."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def timezone(self) -> str: ...
