"""Self-tests of the harness. `pytester` runs the plugin end to end in a child pytest."""

import pytest
from xdist.remote import Producer
from xdist_groups import ModuleGroupScheduling, make_scheduler

from harness.pki import PkiFactory

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFactory:
    """A PKI per test module (certificates are made on first use and cached)."""
    return PkiFactory(tmp_path_factory.mktemp("pki"))


# Modules whose tests share one expensive module fixture: each runs on one worker (tests/xdist_groups.py).
ONE_WORKER = ("tests/test_html_report.py", "tests/test_security_profiles.py", "tests/test_third_party.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> ModuleGroupScheduling | None:
    return make_scheduler(config, log, ONE_WORKER)


# The longest self-tests (each a whole child suite: minutes), and the modules that share one expensive fixture on one
# worker, start first: pytest-xdist hands out work in collection order, so a long test collected last would run
# alone at the end while the other workers idle (make test: 4 workers, about 17 min of work each).
LONG_FIRST = (
    "tests/test_suite_loopback.py::",
    "tests/test_security_profiles.py::",
    "tests/test_third_party.py::",
    "tests/test_legal_variants.py::",
    "tests/test_faults_e.py::test_fixed_cable_connection_timeout",
    "tests/test_faults_c.py::",
    "tests/test_packaging.py::",
    "tests/test_foreign_sut.py::",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)), len(LONG_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order
