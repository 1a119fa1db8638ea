"""Registers the connectors' tables (``siyu.db.load_models`` imports ``siyu.<pkg>.models``)."""

from siyu.connectors.wecom import models as wecom_models

__all__ = ["wecom_models"]
