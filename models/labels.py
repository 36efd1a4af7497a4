"""The label scheme of the annotation guidelines, in one place."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("claim", "evidence", "rebuttal", "none")
STANCES: tuple[str, ...] = ("favor", "against", "neutral")
TASKS: dict[str, tuple[str, ...]] = {"role": ROLES, "stance": STANCES}

DEFAULT_TARGET = "cyber sovereignty"
# What a unit without argumentative content gets (page furniture, unmatched gold units).
NO_ROLE = "none"
NO_STANCE = "neutral"
