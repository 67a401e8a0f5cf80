"""DESIGN.md §3 as a test: walk every module's imports with `ast` and fail on any broken layer rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "harness"
LEAVES = {"harness.errors", "harness.failures", "harness.config", "harness.profile", "harness.options",
          "harness.resources", "harness.configured_values"}
LAYERS: list[tuple[int, str]] = [  # (layer, module prefix); the longest matching prefix wins
    (0, "harness.ocppj"), (1, "harness.transcript"), (2, "harness.expect"), (2, "harness.matchers"),
    (3, "harness.transport"), (4, "harness.roles"), (4, "harness.control"), (4, "harness.usecase"),
    (4, "harness.reporting"), (4, "harness.pki"), (4, "harness.fileserver"), (4, "harness.netfault"),
    (4, "harness.simulators"), (5, "harness.usecase.runner"), (6, "harness.pytest_plugin"), (6, "harness.cli"),
]
OWNERS = {"websockets": "harness.transport", "yaml": "harness.usecase.loader", "allure": "harness.reporting",
          "allure_commons": "harness.reporting", "requests": "harness.control", "pytest": "harness.pytest_plugin",
          "_pytest": "harness.pytest_plugin", "pytest_asyncio": "harness.pytest_plugin", "cryptography": "harness.pki"}
NO_IO_IN_CORE = {"asyncio", "socket", "websockets", "selectors"}
BAD_NAMES = {"utils", "helpers", "common", "misc"}


def layer(module: str) -> int | None:
    best = max((p for p in LAYERS if module == p[1] or module.startswith(p[1] + ".")), key=lambda p: len(p[1]),
               default=None)
    return best[0] if best else None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(module: str, source: str, where: str) -> list[str]:
    """Every rule `module` breaks, as 'file:line: rule: what'."""
    out: list[str] = []
    if module.rsplit(".", 1)[-1] in BAD_NAMES:
        out.append(f"{where}:1: rule 4: a module named {module.rsplit('.', 1)[-1]!r} says nothing of what it is")
    mine = layer(module)
    for line, target in imports(source):
        top = target.split(".")[0]
        if module.startswith("harness.ocppj") and top in NO_IO_IN_CORE:
            out.append(f"{where}:{line}: rule 1: harness.ocppj is sans-I/O but imports {target}")
        owner = OWNERS.get(top)
        if owner is not None and not (module == owner or module.startswith(owner + ".")):
            out.append(f"{where}:{line}: rule 2: only {owner} imports {top}")
        inside_plugin = module == "harness.pytest_plugin" or module.startswith("harness.pytest_plugin.")
        if (target == "harness.pytest_plugin" or target.startswith("harness.pytest_plugin.")) and not inside_plugin:
            out.append(f"{where}:{line}: rule 3: nothing imports the plugin; use its fixtures")
        if top != "harness" or module == "harness":  # the package facade re-exports the public API
            continue
        if module in LEAVES:
            if target not in LEAVES and target != "harness":
                out.append(f"{where}:{line}: leaves import only other leaves, not {target}")
            continue
        theirs = layer(target)
        if target in LEAVES or theirs is None or mine is None:
            continue
        if theirs > mine:
            out.append(f"{where}:{line}: layers: {module} (L{mine}) imports {target} (L{theirs})")
    return out


def test_every_module_keeps_the_layer_rules() -> None:
    problems: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        problems += violations(module_name(path), path.read_text(), str(path.relative_to(ROOT.parent)))
    assert not problems, "\n".join(problems)


def test_every_module_has_a_layer() -> None:
    unplaced = [module_name(p) for p in ROOT.rglob("*.py")
                if module_name(p) not in LEAVES | {"harness"} and layer(module_name(p)) is None]
    assert not unplaced, f"place these modules in a layer of DESIGN.md §3: {unplaced}"


@pytest.mark.parametrize(("module", "source", "rule"), [
    ("harness.ocppj.frames", "import asyncio", "rule 1"),
    ("harness.ocppj.frames", "import websockets", "rule 2"),
    ("harness.roles.csms", "import allure", "rule 2"),
    ("harness.transport.tls", "from cryptography import x509", "rule 2"),
    ("harness.transport.server", "from harness.roles import csms", "layers"),
    ("harness.expect", "from harness.transport import connect", "layers"),
    ("harness.cli", "import harness.pytest_plugin", "rule 3"),
    ("harness.roles.helpers", "", "rule 4"),
    ("harness.config", "from harness.ocppj import Call", "leaves"),
])
def test_the_checker_catches_each_kind_of_violation(module: str, source: str, rule: str) -> None:
    found = violations(module, source, "x.py")
    assert any(rule in v for v in found), found


def test_the_checker_accepts_a_clean_module() -> None:
    assert violations("harness.roles.csms", "from harness.transport import OcppServer\nimport asyncio", "x.py") == []
