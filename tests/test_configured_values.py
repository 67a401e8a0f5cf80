"""Every Part 6 <Configured …> value has a documented source, and every profile key it names exists."""

from __future__ import annotations

import pytest

from harness.configured_values import CONFIGURED_VALUES, HARNESS_TIMING, by_source, profile_field
from harness.profile import Configured


@pytest.mark.parametrize("value", by_source("profile"), ids=lambda v: v.where)
def test_every_profile_key_named_exists(value) -> None:
    profile_field(value.where)  # KeyError when the profile has no such key


def test_a_key_the_profile_does_not_have_is_refused() -> None:
    with pytest.raises(KeyError):
        profile_field("configured.no_such_value")
    with pytest.raises(KeyError):
        profile_field("identity.deeper")


def test_every_configured_key_is_a_part6_value_or_harness_timing() -> None:
    named = {v.where.removeprefix("configured.") for v in by_source("profile") if v.where.startswith("configured.")}
    unexplained = set(Configured.model_fields) - named - set(HARNESS_TIMING)
    assert not unexplained, f"add these to harness/configured_values.py with their Part 6 name: {unexplained}"
    assert not set(HARNESS_TIMING) - set(Configured.model_fields), "HARNESS_TIMING names a key that does not exist"


def test_no_part6_name_has_two_sources() -> None:
    seen: dict[str, str] = {}
    for value in CONFIGURED_VALUES:
        for name in value.part6:
            assert name.lower() not in seen, f"{name} is in two rows: {seen[name.lower()]} and {value.where}"
            seen[name.lower()] = value.where


def test_the_station_template_lists_every_configured_key() -> None:
    import re
    from pathlib import Path

    template = (Path(__file__).resolve().parent.parent / "profiles" / "station-template.yaml").read_text()
    missing = [key for key in Configured.model_fields if not re.search(rf"^\s*#?\s*{key}:", template, re.M)]
    assert not missing, f"profiles/station-template.yaml does not show these configured keys: {missing}"
