"""The wheel carries the suite: testcases/, the schema manifest and profiles/ stay at the top of the repository and
are copied into harness/_suite/ when the package is built, with a pytest.ini made from pyproject.toml's
[tool.pytest.ini_options] (harness.resources finds them there in an installed harness). Everything else is in
pyproject.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("testcases", "profiles", "schemas/ocpp-2.0.1.sha256")


def _ini() -> str:
    options = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    lines = ["# Made by setup.py from the repository's pyproject.toml: the suite's pytest settings.", "[pytest]"]
    lines += [f"{key} = {value}" for key, value in options.items() if key != "testpaths"]
    return "\n".join(lines) + "\n"


class BuildWithSuite(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install finds the suite in the checkout itself
        target = Path(self.build_lib) / "harness" / "_suite"
        shutil.rmtree(target, ignore_errors=True)
        for name in SHIPPED:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        (target / "pytest.ini").write_text(_ini(), encoding="utf-8")


setup(cmdclass={"build_py": BuildWithSuite})
