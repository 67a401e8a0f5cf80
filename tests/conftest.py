"""Self-tests of the harness. `pytester` runs the plugin end to end in a child pytest."""

import pytest

from harness.pki import PkiFactory

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFactory:
    """A PKI per test module (certificates are made on first use and cached)."""
    return PkiFactory(tmp_path_factory.mktemp("pki"))
