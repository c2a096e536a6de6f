"""The method table says, for every method, what is confirmed, what is guessed, and which
emulator variant plays the alternative (or why none is needed)."""

from __future__ import annotations

import pytest

from provisioner.api.methods import GUESSES, METHODS
from provisioner.emulator.variants import VARIANTS, missing_methods


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_guess_names_a_variant_or_a_reason(name: str) -> None:
    row = METHODS[name]
    if row.mark == "I":
        assert row.guessed, f"{name} is inferred: say what is guessed"
    if row.guessed:
        assert row.variants or row.reason, f"{name}: name a variant or a reason"
    assert set(row.variants) <= VARIANTS.keys(), f"{name}: unknown variant"


def test_every_api_wide_guess_names_a_variant_or_a_reason() -> None:
    for guess in GUESSES:
        assert guess.variants or guess.reason, guess.guess
        assert set(guess.variants) <= VARIANTS.keys()


def test_every_variant_is_documented_in_the_table() -> None:
    named = {v for row in METHODS.values() for v in row.variants}
    named |= {v for guess in GUESSES for v in guess.variants}
    assert named == set(VARIANTS)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_method_a_variant_removes_names_that_variant(variant: str) -> None:
    for name in missing_methods(frozenset({variant})):
        assert variant in METHODS[name].variants, f"{name} should name {variant}"
