"""HTML from the Allure results with Allure Report 3 (DESIGN.md §9): the npm package `allure`, no Java.

The Allure CLI is installed once, at a pinned version, into a folder the project owns (`.allure-cli/` in the
checkout, git-ignored), so a fresh machine needs only Node.js and npm. History: Allure 3 keeps it in a JSON-lines
file (config `historyPath`) and appends one line per generated report; the reports that share the file show each
test's earlier results (its History tab, the new/flaky/regressed filters). Plain subprocesses: no allure import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape as html_escape
from pathlib import Path

from harness.errors import HarnessError

ALLURE_VERSION = "3.18.0"  # the npm package `allure` (Allure Report 3); raise it on purpose, never float
REPORT_NAME = "OCPP 2.0.1 conformance"
GROUP_BY = ("epic", "feature")
INSTALL_TIMEOUT = 600.0
GENERATE_TIMEOUT = 600.0


class ReportError(HarnessError):
    """The HTML report could not be made; the message says what to do (no traceback for a missing tool)."""


@dataclass(frozen=True)
class HtmlReport:
    index: Path  # the report's index.html
    history: Path  # the history file it appended to
    runs_in_history: int  # lines in the history file now, this report included


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ReportError(f"{name} not found: the HTML report needs Node.js 20+ with npm (Allure Report 3 is an npm "
                          "package; no Java). Install them, e.g. `apt-get install nodejs npm`, or see https://nodejs.org")
    return path


def installed_version(cli_dir: Path) -> str | None:
    manifest = cli_dir / "node_modules" / "allure" / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def _install_lock(cli_dir: Path) -> Iterator[None]:
    """One npm install into `cli_dir` at a time. Two reports made at once on one checkout (parallel CI jobs, test
    workers) would otherwise unpack into the same node_modules and break each other (npm ENOTEMPTY)."""
    cli_dir.mkdir(parents=True, exist_ok=True)
    with open(cli_dir / ".install.lock", "w", encoding="utf-8") as handle:
        if sys.platform != "win32":  # no flock there: one report at a time
            import fcntl
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        yield


def ensure_allure(cli_dir: Path, version: str = ALLURE_VERSION) -> Path:
    """The `allure` executable of `version` in `cli_dir`, installed there with npm when it is not yet."""
    _tool("node")
    entry = cli_dir / "node_modules" / ".bin" / "allure"
    if installed_version(cli_dir) == version and entry.exists():
        return entry
    npm = _tool("npm")
    with _install_lock(cli_dir):
        if installed_version(cli_dir) == version and entry.exists():
            return entry  # another process installed it while this one waited
        return _npm_install(npm, cli_dir, version, entry)


def _npm_install(npm: str, cli_dir: Path, version: str, entry: Path) -> Path:
    try:
        proc = subprocess.run([npm, "install", "--prefix", str(cli_dir), "--save-exact", "--no-audit", "--no-fund",
                               "--loglevel=error", f"allure@{version}"], capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ReportError(f"npm install allure@{version} did not finish within {INSTALL_TIMEOUT:.0f} s") from None
    if proc.returncode != 0 or installed_version(cli_dir) != version or not entry.exists():
        raise ReportError(f"npm install allure@{version} into {cli_dir} failed (exit {proc.returncode}):\n"
                          f"{(proc.stderr or proc.stdout).strip()[-2000:]}")
    return entry


def _is_report_dir(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and (not any(path.iterdir()) or (path / "index.html").exists()))


def generate(results: Path, out: Path, *, history: Path, cli_dir: Path, name: str = REPORT_NAME,
             history_limit: int | None = None) -> HtmlReport:
    """`allure generate` of `results` into `out` (replaced), appending this run to `history`.

    Allure 3 moves its plugin's files up into the output folder only when that folder holds nothing else, so the
    previous report is removed first; only a folder that is empty or holds an `index.html` is ever removed."""
    results, out, history = results.resolve(), out.resolve(), history.resolve()
    if not results.is_dir():
        raise ReportError(f"no Allure results at {results}: run the suite first (`make demo`, or `ocpp-harness run`)")
    if not any(results.glob("*-result.json")):
        raise ReportError(f"{results} holds no test results (*-result.json): run the suite first")
    if not _is_report_dir(out):
        raise ReportError(f"{out} exists and is not an earlier HTML report (no index.html): refusing to replace it; "
                          "give another --out")
    entry = ensure_allure(cli_dir)
    node = _tool("node")
    if out.exists():
        shutil.rmtree(out)
    history.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, object] = {"name": name, "output": str(out), "historyPath": str(history),
                                 # the tree as DESIGN.md §9 labels it: functional block (epic) > use case (feature)
                                 "plugins": {"awesome": {"options": {"reportName": name, "groupBy": list(GROUP_BY)}}}}
    if history_limit is not None:
        config["historyLimit"] = history_limit
    rc = history.parent / "allurerc.json"  # kept beside the history: `allure generate -c` it to redo a report
    rc.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    try:
        proc = subprocess.run([node, str(entry), "generate", "--config", str(rc), str(results)], capture_output=True,
                              text=True, timeout=GENERATE_TIMEOUT, cwd=history.parent,
                              env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"})
    except subprocess.TimeoutExpired:
        raise ReportError(f"allure generate did not finish within {GENERATE_TIMEOUT:.0f} s") from None
    index = out / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise ReportError(f"allure generate failed (exit {proc.returncode}):\n{(proc.stderr or proc.stdout).strip()[-2000:]}")
    index.write_text(with_file_notice(index.read_text(encoding="utf-8"), out.resolve()), encoding="utf-8")
    runs = sum(1 for line in history.read_text(encoding="utf-8").splitlines() if line.strip()) if history.exists() else 0
    return HtmlReport(index=index, history=history, runs_in_history=runs)


FILE_NOTICE = """<script id="ocpp-file-notice">
if (location.protocol === "file:") {  // the report loads its data with fetch, which a browser refuses on file://
  window.stop();
  document.documentElement.innerHTML = '<head><meta charset="utf-8"><title>Open this report over HTTP</title></head>'
    + '<body style="font-family: sans-serif; max-width: 46em; margin: 3em auto; line-height: 1.5">'
    + '<h1>Open this report over HTTP</h1><p>A browser does not let the report load its data from a file. '
    + 'Serve its folder and open the address it prints:</p>'
    + '<pre style="background: #eee; padding: 1em">python -m http.server -d __DIR__ -b 127.0.0.1 8000</pre>'
    + '<p>then open <a href="http://127.0.0.1:8000/">http://127.0.0.1:8000/</a>.</p></body>';
}
</script>"""


def with_file_notice(html: str, folder: Path) -> str:
    """The report's index.html with a first script that, opened from disk (file://), shows how to open it instead
    of a spinner that never ends. Idempotent."""
    if 'id="ocpp-file-notice"' in html:
        return html
    notice = FILE_NOTICE.replace("__DIR__", html_escape(json.dumps(str(folder))[1:-1]).replace("'", "\\'"))
    head = html.find("<head>")
    at = head + len("<head>") if head >= 0 else 0
    return html[:at] + notice + html[at:]
