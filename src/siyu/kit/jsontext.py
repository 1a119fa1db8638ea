"""JSON already encoded as text, so a writer can store it without encoding it again."""

from __future__ import annotations

import json
from typing import Any


class EncodedJSON(str):
    """A JSON document as its text: bulk writes store it as it is (``siyu.kit.bulk``)."""

    __slots__ = ()

    @classmethod
    def of(cls, value: Any) -> EncodedJSON:
        # Chinese text kept as UTF-8, not six-byte \u escapes: half the bytes, same document.
        return cls(json.dumps(value, ensure_ascii=False))
