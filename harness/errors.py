"""Errors of the harness or its set-up: they end a test as *error* (Allure: broken), never as a SUT failure.

A SUT that misbehaves is reported through :mod:`harness.failures`; everything here means the harness could not
judge at all (bad configuration, a port it could not bind, a test case that is written wrong).
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error that is the harness's or the set-up's fault, not the SUT's."""


class ConfigError(HarnessError):
    """A setting, the SUT profile or a test case's metadata is wrong; the message names where it came from."""


class SchemaStoreError(HarnessError):
    """The official schemas could not be loaded, or they differ from the manifest in `schemas/`."""


class TransportSetupError(HarnessError):
    """The harness could not start its server or reach the SUT's endpoint at all."""


class TestCaseError(HarnessError):
    """A test case uses the step API wrongly (e.g. responds twice to one CALL)."""

    __test__ = False  # not a pytest test class


class ControlError(HarnessError):
    """A manual action could not be performed: the lab's control API, command or operator said no or timed out.
    The SUT is not judged on it; the test ends as *error* with what the adapter reported."""


class PreconditionNotMet(HarnessError):
    """The SUT is not in the state a test case starts from and the harness cannot put it there (a variable the
    table configures is refused, a root certificate the lab must install is missing). Not the SUT's failure on
    the case: it ends as *error* with what to do about it."""

    def __init__(self, what: str, *, fix: str = "") -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"precondition not met: {what}" + (f"\nfix: {fix}" if fix else ""))
