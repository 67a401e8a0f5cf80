"""Where the harness finds what ships beside its code: the test cases, the schema manifest and the SUT profiles.

In a checkout they are at the top of the repository (`testcases/`, `schemas/`, `profiles/`). The wheel carries
copies of them in `harness/_suite/` (setup.py's build step), with a pytest.ini that holds the repository's pytest
settings, so an installed harness runs the same suite as `make demo`. A leaf module.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
SHIPPED = PACKAGE / "_suite"  # what setup.py copies into the wheel


def is_checkout() -> bool:
    """Running from a source checkout (also an editable install), not from an installed wheel."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "testcases").is_dir()


def suite_root() -> Path:
    """The folder pytest runs the suite from: its ini (pyproject.toml or the shipped pytest.ini) is there."""
    return CHECKOUT if is_checkout() else SHIPPED


def testcases_dir() -> Path:
    return suite_root() / "testcases"


def schema_manifest() -> Path | None:
    """The SHA-256 manifest of the official schemas the harness was built against; None only when it is missing,
    which the caller reports (SchemaStore then cannot prove the schemas unchanged)."""
    path = suite_root() / "schemas" / "ocpp-2.0.1.sha256"
    return path if path.is_file() else None


def profiles_dir() -> Path:
    """The built-in simulators' profiles, the templates and the profile's JSON schema."""
    return suite_root() / "profiles"


def user_cache() -> Path:
    """Where an installed harness keeps what it downloads (the Allure CLI): $XDG_CACHE_HOME/ocpp-harness."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ocpp-harness"
