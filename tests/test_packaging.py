"""`pip install` of the wheel gives a working harness (issue 13): the wheel carries testcases/, the profiles and the
schema manifest (setup.py), and an installed `ocpp-harness run` finds them in the package, outside any checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("OCPP_")}
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_the_installed_wheel_runs_one_case_per_role_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], tmp_path, 180)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = wheels.glob("ocpp_harness-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, cli = venv / "bin" / "python", venv / "bin" / "ocpp-harness"
    installed = _run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, 300)
    assert installed.returncode == 0, installed.stderr[-2000:]

    where = _run([str(python), "-c", "from harness import resources as r; print(r.is_checkout(), r.testcases_dir(), "
                                     "r.schema_manifest(), r.profiles_dir(), sep='\\n')"], tmp_path, 60)
    checkout, testcases, manifest, profiles = where.stdout.split()
    assert checkout == "False"  # the package's own copy, not this checkout
    assert Path(testcases).is_relative_to(venv) and any(Path(testcases).glob("test_*.py"))
    assert Path(manifest).is_file() and Path(manifest).is_relative_to(venv)  # the schema check is not skipped

    work = tmp_path / "lab"
    work.mkdir()
    run = _run([str(cli), "run", "--sut", f"{profiles}/builtin-station.yaml", "--sut", f"{profiles}/builtin-csms.yaml",
                "--", "-k", "TC_B_06_CS or TC_B_06_CSMS"], work, 180)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    cases = {c.get("name"): c for c in ET.parse(work / "reports" / "junit.xml").iter("testcase")}
    assert set(cases) == {"test_TC_B_06_CS", "test_TC_B_06_CSMS"}, run.stdout[-2000:]
    assert all(len(c) == 0 or c[0].tag == "properties" for c in cases.values())  # no failure, error or skip
    assert (work / "reports" / "summary.md").is_file()
    assert not list(Path(testcases).parent.glob(".pytest_cache"))  # nothing written into site-packages' suite
