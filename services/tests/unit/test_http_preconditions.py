"""If-Match on event-sourced resources: the ETag is the stream version; a stale one is a 412, a race a 409."""

from __future__ import annotations

import pytest

from services.eventstore.errors import ConcurrencyConflict
from services.http import Problem
from services.http.preconditions import etag, expected_version, precondition


def test_an_etag_round_trips_through_if_match() -> None:
    assert expected_version(etag(7)) == 7
    assert expected_version('W/"7"') == 7
    assert expected_version(None) is None


@pytest.mark.parametrize("if_match", ['"seven"', "*", '"-1"', ""])
def test_an_if_match_that_is_not_one_of_our_etags_is_a_400_naming_the_header(if_match: str) -> None:
    with pytest.raises(Problem) as refused:
        expected_version(if_match)
    assert (refused.value.status, refused.value.code, refused.value.param) == (
        400,
        "invalid_if_match",
        "If-Match",
    )


def test_a_conflict_with_if_match_is_a_412_naming_what_and_its_version() -> None:
    with pytest.raises(Problem) as refused, precondition(3, "member"):
        raise ConcurrencyConflict("member-1", 3, 4)
    assert (refused.value.status, refused.value.code) == (412, "precondition_failed")
    assert refused.value.detail == "the member is at version 4"


def test_a_conflict_without_if_match_stays_a_conflict() -> None:
    with pytest.raises(ConcurrencyConflict), precondition(None, "member"):
        raise ConcurrencyConflict("member-1", 3, 4)
