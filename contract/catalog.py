"""The service catalog's types: the bus reads them from its config, HQ edits and publishes them.

Part of the contract because the catalog message carries them both ways; pydantic only.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently fall back to a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Letter = Annotated[str, Field(pattern=r"^[A-Z]$")]
Material = Annotated[str, Field(min_length=1, max_length=120)]


class ServiceItem(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Z][0-9]{2}$")]
    name_zh: str
    name_en: str
    minutes: Annotated[float, Field(gt=0, le=480)]
    # 办事指南 (optional, so older lists stay valid): what to bring (申请材料) and a short policy note.
    materials: Annotated[tuple[Material, ...], Field(max_length=30)] = ()
    note_zh: Annotated[str, Field(max_length=300)] = ""
    note_en: Annotated[str, Field(max_length=300)] = ""


class ServiceCategory(_Strict):
    code: Letter
    name_zh: str
    name_en: str
    items: Annotated[list[ServiceItem], Field(min_length=1)]

    @model_validator(mode="after")
    def _items_share_prefix(self) -> ServiceCategory:
        for item in self.items:
            if not item.code.startswith(self.code):
                raise ValueError(f"item {item.code} must start with its category letter {self.code}")
        return self

    @property
    def minutes(self) -> float:
        """Expected minutes for a ticket of this category: the mean over its items."""
        return sum(i.minutes for i in self.items) / len(self.items)
