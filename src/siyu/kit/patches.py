"""PATCH bodies: a field left out is left alone, and an explicit ``null`` clears the field only
where the field can be empty. Elsewhere ``null`` is a 422 naming the field (it used to reach
the store as a NULL into a NOT NULL column). The documented schema says the same: only the
clearable fields are nullable.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator


def _drop_null_branches(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    for name, field in schema.get("properties", {}).items():
        branches = field.get("anyOf")
        if name in clearable or not branches:
            continue
        kept = [branch for branch in branches if branch.get("type") != "null"]
        field.pop("anyOf")
        if field.get("default", ...) is None:
            field.pop("default")
        if len(kept) == 1:
            field.update(kept[0])
        else:
            field["anyOf"] = kept


class PatchBody(BaseModel):
    """Base of PATCH bodies; ``clearable`` names the fields ``null`` empties."""

    model_config = ConfigDict(json_schema_extra=_drop_null_branches)
    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may not be null: leave the field out to keep its value")
        return value
