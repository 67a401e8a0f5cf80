"""The manual: the reference pages generated from the code are current, and the site builds in strict mode (a
broken link or a page missing from the navigation fails)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gen_docs  # noqa: E402


def test_generated_reference_pages_match_the_code() -> None:
    stale = [name for name, text in gen_docs.pages().items()
             if (gen_docs.OUT / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/reference is out of date ({', '.join(stale)}): run scripts/gen_docs.py"


def test_a_drifted_page_is_noticed(tmp_path: Path, monkeypatch: object) -> None:
    """The check can fail: a page that says something else than the code is reported."""
    for name, text in gen_docs.pages().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "policies.md").write_text("# Policy keys\n\nnothing here\n", encoding="utf-8")
    monkeypatch.setattr(gen_docs, "OUT", tmp_path)  # type: ignore[attr-defined]
    assert gen_docs.main(["--check"]) == 1


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "reference" / "catalogue" / "index.html").is_file()


def test_the_readme_stays_a_front_door() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150
