"""The station simulator's Local Authorization List and Authorization Cache (D01, D02, C10-C13)."""

from __future__ import annotations

from harness.simulators.authorization import LocalAuthorization

A = {"idToken": "A", "type": "ISO14443"}
B = {"idToken": "B", "type": "ISO14443"}


def _entry(token: dict[str, str], status: str | None) -> dict[str, object]:
    return {"idToken": token, **({"idTokenInfo": {"status": status}} if status else {})}


def test_full_list_replaces_and_sets_the_version() -> None:
    auth = LocalAuthorization()
    assert auth.send_local_list({"versionNumber": 3, "updateType": "Full",
                                 "localAuthorizationList": [_entry(A, "Accepted")]}) == "Accepted"
    assert auth.send_local_list({"versionNumber": 4, "updateType": "Full",
                                 "localAuthorizationList": [_entry(B, "Blocked")]}) == "Accepted"
    assert auth.list_version == 4
    assert auth.lookup(A, use_list=True, use_cache=False) is None
    assert auth.lookup(B, use_list=True, use_cache=False) == {"status": "Blocked"}


def test_differential_update_needs_a_newer_version_and_removes_entries_without_info() -> None:
    auth = LocalAuthorization()
    auth.send_local_list({"versionNumber": 5, "updateType": "Full",
                          "localAuthorizationList": [_entry(A, "Accepted"), _entry(B, "Accepted")]})
    assert auth.send_local_list({"versionNumber": 5, "updateType": "Differential",
                                 "localAuthorizationList": [_entry(A, None)]}) == "VersionMismatch"
    assert auth.lookup(A, use_list=True, use_cache=False) == {"status": "Accepted"}
    assert auth.send_local_list({"versionNumber": 6, "updateType": "Differential",
                                 "localAuthorizationList": [_entry(A, None)]}) == "Accepted"
    assert auth.lookup(A, use_list=True, use_cache=False) is None
    assert auth.lookup(B, use_list=True, use_cache=False) == {"status": "Accepted"}


def test_the_list_wins_over_the_cache_and_clear_cache_forgets() -> None:
    auth = LocalAuthorization()
    auth.remember(A, {"status": "Accepted"})
    auth.send_local_list({"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [_entry(A, "Blocked")]})
    assert auth.lookup(A, use_list=True, use_cache=True) == {"status": "Blocked"}
    assert auth.lookup(A, use_list=False, use_cache=True) == {"status": "Accepted"}
    auth.clear_cache()
    assert auth.lookup(A, use_list=False, use_cache=True) is None
    assert auth.lookup({"idToken": "A", "type": "KeyCode"}, use_list=True, use_cache=True) is None
