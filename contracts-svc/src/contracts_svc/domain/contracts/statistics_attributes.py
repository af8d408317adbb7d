"""The coarse, non-identifying attributes the statistics count a contract by, derived at the DPAE.

The identity passes through contracts-svc only in the DPAE command and is never stored (ADR 009); the
statistics need the gender and an age band, so those two, and nothing finer, are kept on `HireDeclared`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from typing import Literal

Gender = Literal["F", "M"]
NIR_GENDER: dict[str, Gender] = {"1": "M", "2": "F"}  # 7 and 8 (provisional numbers) say nothing: the payload


def _bands() -> tuple[tuple[str, int], ...]:
    text = resources.files(__package__).joinpath("data", "statistics.toml").read_text(encoding="utf-8")
    rows = tomllib.loads(text)["age_bands"]
    return tuple(sorted(((str(r["code"]), int(r["from_age"])) for r in rows), key=lambda band: band[1]))


AGE_BANDS = _bands()
AGE_BAND_CODES = tuple(code for code, _ in AGE_BANDS)


def gender_of(nir: str | None, declared: Gender) -> Gender:
    """The NIR's first digit when it tells (checked against the declared sex), else the declared sex."""
    return NIR_GENDER.get(nir[0], declared) if nir else declared


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_band(birth_date: date, hiring_day: date) -> str:
    age = age_on(birth_date, hiring_day)
    found = AGE_BANDS[0][0]
    for code, from_age in AGE_BANDS:
        if age >= from_age:
            found = code
    return found
