"""YAML files of the harness (SUT profiles, scenarios) read with their line numbers, so every error points at
`file:line` (as Tavern does it). The only module that imports yaml (DESIGN.md §3 rule 2)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError
from harness.profile import SutProfile
from harness.usecase import catalogue
from harness.usecase.scenario import Scenario

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]


class SourceError(ConfigError):
    """A YAML file that does not say what the harness needs; `problems` are `file:line: text` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Located:
    """A YAML document as plain data, plus the line of every mapping key and list item."""

    def __init__(self, path: Path, data: Any, lines: dict[Path_, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def line(self, where: Sequence[str | int]) -> int:
        """The line of `where`, or of its nearest ancestor the file has (an absent field: its parent)."""
        key = tuple(where)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def at(self, where: Sequence[str | int], text: str) -> str:
        return f"{self.path}:{self.line(where)}: {text}"


def read_yaml(path: str | Path) -> Located:
    """Parse one YAML document; SourceError (with the line) when it is not readable YAML or repeats a key."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError([f"{file}: cannot read: {exc}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        problems: list[str] = []
        data = _build(loader, node, (), lines, problems, file) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SourceError([f"{file}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    finally:
        loader.dispose()
    if problems:
        raise SourceError(problems)
    return Located(file, data, lines)


def _build(loader: yaml.SafeLoader, node: yaml.Node, where: Path_, lines: dict[Path_, int],
           problems: list[str], file: Path) -> Any:
    lines.setdefault(where, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in result:
                problems.append(f"{file}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            lines[(*where, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*where, key), lines, problems, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*where, i), lines, problems, file) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def validate(located: Located, model: type[M], *, what: str) -> M:
    """`located.data` as `model`; SourceError listing every problem with its line."""
    if not isinstance(located.data, dict):
        raise SourceError([located.at((), f"a {what} is a mapping of keys to values; this file holds "
                                            f"{type(located.data).__name__}")])
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where: list[str | int] = [part for part in error["loc"] if isinstance(part, str | int)]
            text = str(error["msg"]).removeprefix("Value error, ")  # pydantic's prefix for a validator's ValueError
            if not where:  # a check across keys: it names the key first ("control.adapter 'builtin' …")
                named = [int(p) if p.isdigit() else p for p in text.split(" ", 1)[0].rstrip(":").split(".")]
                if tuple(named) in located.lines:
                    problems.append(located.at(named, text))
                    continue
            field = ".".join(str(p) for p in where) or "(top level)"
            problems.append(located.at(where, f"{field}: {text}"))
        raise SourceError(problems) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario."""
    scenario = validate(read_yaml(path), Scenario, what="scenario")
    scenario.source = str(path)
    return scenario


def load_profile(path: str | Path) -> SutProfile:
    """Read and validate a SUT profile file; the CA files it names are taken relative to its folder."""
    located = read_yaml(path)
    profile = validate(located, SutProfile, what="SUT profile")
    wrong = catalogue.pics_problems("CS" if profile.kind == "station" else "CSMS", profile.pics)
    if wrong:  # the line of the key itself, like any other profile error
        raise SourceError([located.at(("pics", key), f"pics.{key}: {why}") for key, why in wrong.items()])
    folder = Path(path).resolve().parent
    profile.security.trusted_ca = [str(folder / ca) for ca in profile.security.trusted_ca]  # an absolute one stays
    return profile
