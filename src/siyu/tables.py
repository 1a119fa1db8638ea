"""Every table of the application, for migrations, the demo seed and tests: the domains' models
and the kit's own (rate counters). Kept apart from ``db`` so the kit's tables can build on
``db.Base`` without ``db`` importing them back."""

from __future__ import annotations

import importlib
import pkgutil

import siyu
import siyu.kit.counters


def load_models() -> None:
    """Import every domain's ``models`` module so ``Base.metadata`` knows every table."""
    for module in pkgutil.iter_modules(siyu.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"siyu.{module.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"siyu.{module.name}.models":
                    raise
