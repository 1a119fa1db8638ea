"""Alembic migrations, shipped inside the package so `siyu db upgrade` works from a wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(revision: str = "head", connection: Any = None) -> None:
    command.upgrade(alembic_config(connection), revision)


def downgrade(revision: str, connection: Any = None) -> None:
    command.downgrade(alembic_config(connection), revision)
