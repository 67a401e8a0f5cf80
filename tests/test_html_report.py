"""`ocpp-harness report` end to end (DESIGN.md §9): a small suite run, two HTML reports with Allure Report 3 (the
second one with history), then the report opened in headless Chromium: the test cases, their steps, links and
attachments are in the rendered DOM and the screenshot is not blank. Skips, saying why, without npm or Chromium.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from suite_runner import ROOT

from harness.reporting.html_report import with_file_notice

# Its two suite runs and the report are module fixtures: make test keeps the module on one worker (tests/conftest.py).

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1")
BROWSER_TIMEOUT = 120.0


def chromium() -> str | None:
    return next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)


def report_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`ocpp-harness report` of this checkout, in a child process."""
    return subprocess.run([sys.executable, "-m", "harness.cli", "report", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, env={**os.environ, **(env or {})})


# ---- what the report must show, and how it is read ------------------------------------------------------------
def expected_cases(results: Path) -> dict[str, list[str]]:
    """Test name -> its top-level step titles, from the Allure results the suite wrote."""
    cases = {}
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases[data["name"]] = [step["name"] for step in data.get("steps", [])]
    return cases


def visible_text(dom: str) -> str:
    body = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", dom[dom.find("<body"):])
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


class ReportServer:
    """The report folder over HTTP on 127.0.0.1 (Allure 3 loads its data with fetch, which file:// refuses)."""

    def __init__(self, folder: Path) -> None:
        handler = partial(_QuietHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="report-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> ReportServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def render(browser: str, url: str, workdir: Path, *, screenshot: Path | None = None) -> str:
    """The DOM after the report's JavaScript ran (virtual time lets the app settle, no real sleep)."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--hide-scrollbars", f"--user-data-dir={workdir / 'profile'}",
            "--window-size=1280,900", "--virtual-time-budget=15000", "--dump-dom"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    proc = subprocess.run([*args, url], capture_output=True, text=True, timeout=BROWSER_TIMEOUT, cwd=workdir)
    assert proc.returncode == 0, f"chromium exit {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout


def check_report(browser: str, base_url: str, report: Path, expected: dict[str, list[str]], workdir: Path,
                 *, history: int | None = None) -> list[str]:
    """What the rendered report lacks: each expected case's page must show its name, its step titles, its
    requirement links' names and its sequence diagram attachment; `history` earlier runs when given."""
    problems = []
    index = json.loads((report / "test-results.json").read_text(encoding="utf-8"))["byId"]
    ids = {entry["name"]: test_id for test_id, entry in index.items()}
    for n, (name, steps) in enumerate(sorted(expected.items())):
        if name not in ids:
            problems.append(f"{name}: not in the report")
            continue
        text = visible_text(render(browser, f"{base_url}index.html#{ids[name]}", workdir / f"case{n}"))
        if name not in text:
            problems.append(f"{name}: its page does not show the name")
        problems += [f"{name}: step {step!r} not shown" for step in steps if step not in text]
        case_id = name.split(" ", 1)[0]
        if f"sequence diagram {case_id}" not in text:
            problems.append(f"{name}: no sequence diagram attachment shown")
        if history is not None and not re.search(rf"History {history}\b", text):
            problems.append(f"{name}: its History tab does not count {history} earlier run(s)")
    return problems


def png_colours(data: bytes) -> int:
    """Distinct colours in a sample of an 8-bit RGB(A) PNG: a tiny decoder (zlib and the five row filters)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride) if kind else ():
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                add = a
            elif kind == 2:
                add = b
            elif kind == 3:
                add = (a + b) >> 1
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                add = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + add) & 0xFF
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp * 3))
        prev = line
    return len(colours)


def screenshot_problems(png: bytes, *, at_least: int = 16) -> list[str]:
    colours = png_colours(png)
    return [] if colours >= at_least else [f"screenshot looks blank: {colours} colour(s)"]


def make_png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An RGB PNG (filter 0 rows) whose pixel (x, y) is pixel(x, y): for proving the blank check."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# ---- the run ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> str:
    path = chromium()
    if path is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    return path


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two suite runs' worth of reports: the second report sees the first in its history."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm not installed: apt-get install nodejs npm (Allure Report 3 is an npm package)")
    tmp = tmp_path_factory.mktemp("html")
    reports = tmp / "reports"
    results, out, history = reports / "allure-results", reports / "html", reports / "history.jsonl"
    # As a person or a CI job does it: `ocpp-harness run` with a gating policy, then `ocpp-harness report`.
    run = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--reports", str(reports), "--gate",
                          str(ROOT / "profiles" / "gate.yaml"), "--no-progress", "--", *FAST, "-p", "no:cacheprovider",
                          "-k", "TC_B_01_CS or TC_B_01_CSMS"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-2000:]
    summary = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    assert summary["gate"]["exit_code"] == 0 and "gate passed: exit code 0" in run.stdout, run.stdout[-2000:]
    assert {c["id"]: c["outcome"] for c in summary["cases"]} == {"TC_B_01_CS": "passed", "TC_B_01_CSMS": "passed"}
    outputs = []
    for _ in range(2):
        proc = report_cli("--results", str(results), "--out", str(out), "--history", str(history))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs.append(proc.stdout)
    with ReportServer(out) as server:
        yield {"results": results, "out": out, "history": history, "outputs": outputs, "url": server.url, "tmp": tmp}


def test_the_report_shows_every_case_with_its_steps_and_history(browser: str, html_report: dict[str, Any]) -> None:
    expected = expected_cases(html_report["results"])
    assert len(expected) == 2 and all(steps for steps in expected.values()), expected
    assert "(2 run(s) in" in html_report["outputs"][1]
    assert len(html_report["history"].read_text().splitlines()) == 2
    problems = check_report(browser, html_report["url"], html_report["out"], expected, html_report["tmp"] / "chromium",
                            history=1)
    assert problems == []


def test_the_report_renders_a_non_blank_page(browser: str, html_report: dict[str, Any]) -> None:
    shot = html_report["tmp"] / "overview.png"
    text = visible_text(render(browser, html_report["url"] + "index.html", html_report["tmp"] / "overview",
                               screenshot=shot))
    assert "OCPP 2.0.1 conformance" in text and "Failed to fetch" not in text, text[:2000]
    assert "B Provisioning" in text, "the tree is not grouped by functional block: " + text[:2000]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot_problems(shot.read_bytes()) == []


def test_the_check_fails_on_a_case_or_step_the_report_lacks(browser: str, html_report: dict[str, Any]) -> None:
    expected = expected_cases(html_report["results"])
    name = sorted(expected)[0]
    wrong = {"TC_Z_99_CS Never run": ["a step"], name: [*expected[name], "9. a step that never ran"]}
    problems = check_report(browser, html_report["url"], html_report["out"], wrong, html_report["tmp"] / "wrong",
                            history=7)
    assert "TC_Z_99_CS Never run: not in the report" in problems
    assert f"{name}: step '9. a step that never ran' not shown" in problems
    assert f"{name}: its History tab does not count 7 earlier run(s)" in problems
    assert len(problems) == 3, problems


def test_two_reports_at_once_share_one_fresh_cli_install(html_report: dict[str, Any], tmp_path: Path) -> None:
    """Two `ocpp-harness report` at once into a folder without the Allure CLI (parallel CI jobs on one checkout):
    one installs it, the other waits and uses it. Without the install lock both ran npm into one node_modules, which
    failed with ENOTEMPTY when they overlapped (make test's workers on CI). The real npm runs behind a shim that
    counts its calls: exactly one install, whatever the timing."""
    calls, shim = tmp_path / "npm-calls", tmp_path / "bin" / "npm"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("npm")} "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    cli = tmp_path / "cli"
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    procs = [subprocess.Popen([sys.executable, "-m", "harness.cli", "report", "--results", str(html_report["results"]),
                               "--out", str(tmp_path / f"html{n}"), "--history", str(tmp_path / f"r{n}" / "history.jsonl"),
                               "--allure-cli", str(cli)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, env=env) for n in (1, 2)]
    for n, proc in enumerate(procs, 1):
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, out + err
        assert (tmp_path / f"html{n}" / "index.html").is_file()
    assert len(calls.read_text(encoding="utf-8").splitlines()) == 1, calls.read_text(encoding="utf-8")


def test_the_blank_check_fails_on_a_blank_png_and_decodes_a_real_one() -> None:
    blank = make_png(64, 48, lambda x, y: (255, 255, 255))
    assert png_colours(blank) == 1 and screenshot_problems(blank) == ["screenshot looks blank: 1 colour(s)"]
    stripes = make_png(64, 48, lambda x, y: (x * 4, y * 5, 128))
    assert png_colours(stripes) > 16 and screenshot_problems(stripes) == []


def test_report_without_results_or_node_says_so_in_one_line(tmp_path: Path) -> None:
    proc = report_cli("--results", str(tmp_path / "none"), "--out", str(tmp_path / "html"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ocpp-harness report: no Allure results at ")
    (tmp_path / "empty").mkdir()
    proc = report_cli("--results", str(tmp_path / "empty"), "--out", str(tmp_path / "html"))
    assert proc.returncode == 2 and "holds no test results" in proc.stderr
    (tmp_path / "empty" / "x-result.json").write_text("{}")
    proc = report_cli("--results", str(tmp_path / "empty"), "--out", str(tmp_path / "html"),
                      "--allure-cli", str(tmp_path / "cli"), env={"PATH": str(tmp_path / "no-bin")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "node not found: the HTML report needs Node.js 20+ with npm" in proc.stderr
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    proc = report_cli("--results", str(tmp_path / "empty"), "--out", str(tmp_path / "mine"))
    assert proc.returncode == 2 and "refusing to replace it" in proc.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def _run_notice(text: str, protocol: str) -> str:
    """The injected script run by Node.js with a stub page at `protocol`: the page's HTML afterwards."""
    script = text.split('<script id="ocpp-file-notice">', 1)[1].split("</script>", 1)[0]
    stub = "\n".join([f"const location = {{protocol: {json.dumps(protocol)}}}; let stopped = false;",
                      "const window = {stop: () => { stopped = true; }};",
                      "const document = {documentElement: {innerHTML: 'the report'}};", script,
                      "process.stdout.write(JSON.stringify({stopped, html: document.documentElement.innerHTML}));"])
    proc = subprocess.run(["node", "-e", stub], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["stopped"] == (protocol == "file:")
    return str(result["html"])


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js not installed")
def test_the_report_opened_from_disk_says_how_to_open_it(tmp_path: Path) -> None:
    folder = tmp_path / "my <lab> report"
    text = with_file_notice("<!doctype html><html><head><title>Allure</title></head><body></body></html>", folder)
    assert text.index('<script id="ocpp-file-notice">') < text.index("<title>")  # before anything else runs
    assert with_file_notice(text, folder) == text
    page = _run_notice(text, "file:")
    assert "Open this report over HTTP" in page and "python -m http.server -d " in page
    assert str(tmp_path) in page and "my &lt;lab&gt; report" in page
    assert _run_notice(text, "http:") == "the report"  # served: the report itself
