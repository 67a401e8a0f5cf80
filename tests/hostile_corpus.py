"""The hostile-SUT corpus: bad input aimed at the harness, as data.

Each `Case` is what a misbehaving peer does on one connection: the WebSocket messages it sends (text, binary, or
text frames whose bytes are not UTF-8) and how it behaves around them (`script`), with the rule id the harness
must record for it. `tests/test_hostile.py` plays every case against both roles of the harness: a raw websockets
client as a station against the harness CSMS, and a raw websockets server as a CSMS the harness station connects
to. Handshake cases are role-specific (`roles`), because only one side speaks first.

Scripts:
  send      the peer sends its messages as soon as the connection is open, then closes normally (1000)
  answer    the harness sends a CALL first; the peer answers with its messages (`ID` is replaced by the CALL's id)
  silent    the harness sends a CALL; the peer never answers (the harness gives up at its deadline)
  close:N   the harness sends a CALL; the peer closes with code N instead of answering
  abort     the harness sends a CALL; the peer drops TCP without a close frame
  abort-idle, abort-partial   the peer drops TCP at once / after half a WebSocket frame header
  hs:<how>  the opening handshake never completes (see the test module for each <how>)
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Literal

MAX_SIZE = 8192  # the harness's configured maximum message size in these tests
ID = "@ID@"  # placeholder for the message id of the harness's CALL in `answer` scripts

Role = Literal["csms", "station"]  # the role the *harness* plays
BOTH: tuple[Role, ...] = ("csms", "station")


class BadText(bytes):
    """Bytes sent in a *text* frame without UTF-8 validation (websockets `send(..., text=True)`)."""


Message = str | bytes  # str: text frame; bytes: binary frame; BadText: text frame with raw bytes


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    rule: str  # the rule id the harness must record
    messages: tuple[Message, ...] = ()
    script: str = "send"
    roles: tuple[Role, ...] = BOTH

    @staticmethod
    def kept(messages: list[Message]) -> list[bytes]:
        """The bytes the harness reads (and must keep) of `messages` as sent: everything up to a message over
        MAX_SIZE (refused unread) or up to and including a text frame that is not UTF-8 (kept, then the connection
        fails with 1007)."""
        out: list[bytes] = []
        for m in messages:
            if len(m if isinstance(m, bytes) else m.encode()) > MAX_SIZE:
                break
            out.append(m if isinstance(m, bytes) else m.encode())
            if isinstance(m, BadText):
                break
        return out


HB = '[2,"h1","Heartbeat",{}]'
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "m", "vendorName": "v"}}


def _call(payload: object, action: str = "DataTransfer", message_id: str = "c1") -> str:
    return json.dumps([2, message_id, action, payload], separators=(",", ":"))


def _invalid_utf8() -> list[Case]:
    seqs = {"ff": b"\xff", "fe-ff": b"\xfe\xff", "overlong-slash": b"\xc0\xaf", "surrogate": b"\xed\xa0\x80",
            "above-10ffff": b"\xf4\x90\x80\x80", "truncated-3byte": b"\xe2\x82", "lone-continuation": b"\x80",
            "latin1-e-acute": b"caf\xe9"}
    cases = []
    for name, seq in seqs.items():
        cases.append(Case(f"utf8-bare-{name}", "invalid-utf8", "RPC-05", (BadText(seq),)))
        cases.append(Case(f"utf8-in-call-{name}", "invalid-utf8", "RPC-05",
                          (BadText(b'[2,"u1","DataTransfer",{"vendorId":"' + seq + b'"}]'),)))
    cases.append(Case("utf8-after-valid-frames", "invalid-utf8", "RPC-05", (HB, BadText(b"[2,\xff]"), HB)))
    cases.append(Case("utf8-as-answer", "invalid-utf8", "RPC-05", (BadText(b'[3,"' + ID.encode() + b'",{"x":"\xff"}]'),),
                      script="answer"))
    return cases


def _non_json() -> list[Case]:
    texts = {"empty": "", "space": " ", "word": "hello", "open-bracket": "[", "close-bracket": "]", "open-brace": "{",
             "truncated-call": '[2,"1","Heartbeat",{', "single-quotes": "[2,'1','Heartbeat',{}]",
             "trailing-comma": '[2,"1","Heartbeat",{},]', "comment": '[2,"1","Heartbeat",{}] // hi',
             "trailing-garbage": '[2,"1","Heartbeat",{}]x', "bom": '\ufeff[2,"1","Heartbeat",{}]',
             "nul": '[2,"1","Heartbeat",{}]\x00', "unquoted-key": '[2,"1","Heartbeat",{a:1}]',
             "two-frames-in-one": '[2,"1","Heartbeat",{}][2,"2","Heartbeat",{}]', "xml": "<call/>",
             "lone-surrogate-escape-key": '[2,"1","Heartbeat",{"\\ud800":1,', "hex-number": '[0x2,"1","Heartbeat",{}]',
             "control-char-in-string": '[2,"1\n","Heartbeat",{}', "long-garbage": "#" * 3000}
    cases = [Case(f"nonjson-{name}", "non-json", "RPC-05", (text,)) for name, text in texts.items()]
    scalars = {"null": "null", "true": "true", "number": "1", "string": '"2"', "object": '{"a":1}'}
    cases += [Case(f"nonjson-toplevel-{name}", "non-json", "RPC-07", (text,)) for name, text in scalars.items()]
    cases.append(Case("nonjson-as-answer", "non-json", "RPC-05", ("[3,", ), script="answer"))
    return cases


def _shapes() -> list[Case]:
    shapes = {"empty-array": ("[]", "RPC-07"), "type-only": ("[2]", "RPC-13"), "call-2": ('[2,"s"]', "RPC-07"),
              "call-3": ('[2,"s","Heartbeat"]', "RPC-07"), "call-5": ('[2,"s","Heartbeat",{},{}]', "RPC-07"),
              "call-6": ('[2,"s","Heartbeat",{},{},{}]', "RPC-07"), "result-2": ('[3,"s"]', "RPC-07"),
              "result-4": ('[3,"s",{},{}]', "RPC-07"), "error-2": ('[4,"s"]', "RPC-07"),
              "error-3": ('[4,"s","GenericError"]', "RPC-07"), "error-4": ('[4,"s","GenericError",""]', "RPC-07"),
              "error-6": ('[4,"s","GenericError","",{},{}]', "RPC-07"),
              "nested-frame": ('[[2,"s","Heartbeat",{}]]', "RPC-06"), "object-frame": ('{"2":"s"}', "RPC-07"),
              "frame-in-string": ('"[2,\\"s\\",\\"Heartbeat\\",{}]"', "RPC-07"),
              "thousand-elements": ("[2," + ",".join(['"s"'] * 1000) + "]", "RPC-07")}
    cases = [Case(f"shape-{name}", "array-shape", rule, (text,)) for name, (text, rule) in shapes.items()]
    answers = {"result-2": f'[3,"{ID}"]', "result-4": f'[3,"{ID}",{{}},{{}}]', "error-3": f'[4,"{ID}","GenericError"]',
               "error-6": f'[4,"{ID}","GenericError","",{{}},{{}}]'}
    cases += [Case(f"shape-answer-{name}", "array-shape", "RPC-07", (text,), script="answer")
              for name, text in answers.items()]
    return cases


def _types() -> list[Case]:
    values = {"null": "null", "true": "true", "float": "2.5", "array": "[]", "object": "{}", "negative": "-3"}
    cases = []
    for name, v in {**values, "string": '"2"', "float-two": "2.0"}.items():
        cases.append(Case(f"type-typeid-{name}", "wrong-type", "RPC-06", (f'[{v},"t1","Heartbeat",{{}}]',)))
    for name, v in {**values, "number": "7"}.items():
        cases.append(Case(f"type-callid-{name}", "wrong-type", "RPC-13", (f'[2,{v},"Heartbeat",{{}}]',)))
        cases.append(Case(f"type-resultid-{name}", "wrong-type", "RPC-13", (f"[3,{v},{{}}]",)))
    cases.append(Case("type-callid-37-chars", "wrong-type", "RPC-13", (f'[2,"{"x" * 37}","Heartbeat",{{}}]',)))
    for name, v in {**values, "number": "5", "empty": '""', "lowercase": '"heartbeat"',
                    "suffix": '"HeartbeatRequest"', "unknown": '"NoSuchAction"', "spaces": '" Heartbeat "'}.items():
        rule = "RPC-08"
        cases.append(Case(f"type-action-{name}", "wrong-type", rule, (f'[2,"t2",{v},{{}}]',)))
    for name, v in {"null": "null", "array": "[]", "string": '"x"', "number": "1", "true": "true"}.items():
        cases.append(Case(f"type-call-payload-{name}", "wrong-type", "RPC-10", (f'[2,"t3","Heartbeat",{v}]',)))
        cases.append(Case(f"type-answer-payload-{name}", "wrong-type", "RPC-10", (f'[3,"{ID}",{v}]',), script="answer"))
    for name, v in {"null": "null", "number": "500", "array": "[]"}.items():
        cases.append(Case(f"type-error-code-{name}", "wrong-type", "RPC-16", (f'[4,"{ID}",{v},"",{{}}]',),
                          script="answer"))
        cases.append(Case(f"type-error-description-{name}", "wrong-type", "RPC-07",
                          (f'[4,"{ID}","GenericError",{v},{{}}]',), script="answer"))
        cases.append(Case(f"type-error-details-{name}", "wrong-type", "RPC-07",
                          (f'[4,"{ID}","GenericError","",{v if v != "[]" else "[1]"}]',), script="answer"))
    cases.append(Case("type-error-code-unknown", "wrong-type", "RPC-16", (f'[4,"{ID}","Oops","",{{}}]',), script="answer"))
    # the harness's CALL (ClearCache, Heartbeat) is a known action: NotImplemented says it is not (Table 8)
    cases.append(Case("type-error-not-implemented-known-action", "wrong-type", "RPC-16",
                      (f'[4,"{ID}","NotImplemented","",{{}}]',), script="answer"))
    cases.append(Case("type-field-wrong-type", "wrong-type", "RPC-12",
                      (_call({"reason": 5, "chargingStation": {"model": "m", "vendorName": "v"}}, "BootNotification"),)))
    cases.append(Case("type-answer-field-wrong-type", "wrong-type", "RPC-12", (f'[3,"{ID}",{{"currentTime":5}}]',),
                      script="answer"))
    return cases


def _message_types() -> list[Case]:
    ids = {"0": 0, "1": 1, "5": 5, "6": 6, "7": 7, "minus-1": -1, "99": 99, "int32-max": 2**31 - 1}
    cases = [Case(f"msgtype-{name}", "unknown-type-id", "RPC-06", (f'[{v},"m1","Heartbeat",{{}}]',))
             for name, v in ids.items()]
    cases.append(Case("msgtype-huge", "unknown-type-id", "DT-1", (f'[{2**40},"m1","Heartbeat",{{}}]',)))
    cases.append(Case("msgtype-5-as-answer", "unknown-type-id", "RPC-06", (f'[5,"{ID}",{{}}]',), script="answer"))
    return cases


def _oversize() -> list[Case]:
    def padded(size: int) -> str:
        head = '[2,"o1","DataTransfer",{"vendorId":"v","data":"'
        return head + "x" * (size - len(head) - 3) + '"}]'

    cases = [Case(f"oversize-{size}", "oversize", "WS-1", (padded(size),))
             for size in (MAX_SIZE + 1, 2 * MAX_SIZE, 10 * MAX_SIZE, 256 * 1024)]
    cases.append(Case("oversize-binary", "oversize", "WS-1", (b"\x00" * (MAX_SIZE + 1),)))
    cases.append(Case("oversize-after-valid", "oversize", "WS-1", (HB, padded(3 * MAX_SIZE), HB)))
    cases.append(Case("oversize-exactly-max-is-fine-then-over", "oversize", "WS-1",
                      (padded(MAX_SIZE), padded(MAX_SIZE + 1))))
    cases.append(Case("oversize-as-answer", "oversize", "WS-1", (f'[3,"{ID}",{{"x":"' + "y" * MAX_SIZE + '"}]',),
                      script="answer"))
    return cases


def _nesting() -> list[Case]:
    cases = []
    for depth in (1000, 5000, 1300):  # deeper than any JSON decoder sensibly allows (MAX_SIZE bounds the text)
        half = min(depth, MAX_SIZE // 2 - 10)
        cases.append(Case(f"nesting-array-{depth}", "deep-nesting", "RPC-05", ("[" * half + "]" * half,)))
    cases.append(Case("nesting-object-600-in-heartbeat", "deep-nesting", "RPC-12",
                      ('[2,"n0","Heartbeat",' + '{"a":' * 600 + "1" + "}" * 600 + "]",)))
    cases.append(Case("nesting-unclosed", "deep-nesting", "RPC-05", ("[" * 3000,)))
    for depth in (50, 300, 600):  # inside a schema-checked payload: refused by the schema, never a crash
        cases.append(Case(f"nesting-in-boot-{depth}", "deep-nesting", "RPC-12",
                          ('[2,"n1","BootNotification",{"reason":"PowerUp","chargingStation":' + '{"a":' * depth + "1"
                           + "}" * depth + "}]",)))
    cases.append(Case("nesting-payload-array-500", "deep-nesting", "RPC-10",
                      ('[2,"n2","Heartbeat",' + "[" * 500 + "]" * 500 + "]",)))
    cases.append(Case("nesting-unknown-action-500", "deep-nesting", "RPC-08",
                      ('[2,"n3","NoSuchAction",{"a":' + "[" * 500 + "]" * 500 + "}]",)))
    cases.append(Case("nesting-empty-optional-deep", "deep-nesting", "RPC-11",
                      ('[2,"n4","DataTransfer",{"vendorId":"v","data":' + '{"a":' * 400 + "[]" + "}" * 400 + "}]",)))
    cases.append(Case("nesting-as-answer-600", "deep-nesting", "RPC-12",
                      (f'[3,"{ID}",{{"currentTime":' + "[" * 600 + "]" * 600 + "}]",), script="answer"))
    return cases


def _numbers() -> list[Case]:
    cases = []
    for name, v in {"nan": "NaN", "infinity": "Infinity", "minus-infinity": "-Infinity", "nan-lower": "nan"}.items():
        cases.append(Case(f"number-{name}-in-payload", "nan-inf-huge", "RPC-05", (_call("@").replace('"@"', v),)))
        cases.append(Case(f"number-{name}-as-typeid", "nan-inf-huge", "RPC-05", (f'[{v},"x1","Heartbeat",{{}}]',)))
    for name, v in {"1e400": "1e400", "minus-1e400": "-1e400", "1e999999": "1E999999"}.items():
        cases.append(Case(f"number-{name}-decimal", "nan-inf-huge", "DT-1", (_call({"vendorId": "v", "data": "@"})
                                                                             .replace('"@"', v),)))
    for name, v in {"2pow31": 2**31, "minus-2pow31-minus-1": -(2**31) - 1, "1e30-int": 10**30, "2pow64": 2**64}.items():
        cases.append(Case(f"number-{name}-int", "nan-inf-huge", "DT-1",
                          (_call({"evseId": v, "meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
                                                               "sampledValue": [{"value": 1}]}]}, "MeterValues"),)))
    cases.append(Case("number-5000-digits", "nan-inf-huge", "RPC-05", ('[2,"x2","Heartbeat",{"a":' + "9" * 5000 + "}]",)))
    cases.append(Case("number-inf-as-answer", "nan-inf-huge", "RPC-05", (f'[3,"{ID}",{{"currentTime":Infinity}}]',),
                      script="answer"))
    cases.append(Case("number-1e400-as-answer", "nan-inf-huge", "DT-1", (f'[3,"{ID}",{{"currentTime":1e400}}]',),
                      script="answer"))
    return cases


def _duplicates() -> list[Case]:
    boot = _call(BOOT, "BootNotification", "d1")
    cases = [
        Case("dupid-call-other-action", "duplicate-id", "RPC-14", ('[2,"d1","Heartbeat",{}]', boot)),
        Case("dupid-call-same-retry", "duplicate-id", "RPC-14", (HB, HB)),
        Case("dupid-call-ten-times", "duplicate-id", "RPC-14", tuple(_call({"vendorId": f"v{i}"}, message_id="d2")
                                                                     for i in range(10))),
        Case("dupid-result-twice", "duplicate-id", "RPC-14", (f'[3,"{ID}",{{}}]', f'[3,"{ID}",{{}}]'), script="answer"),
        Case("dupid-result-then-error", "duplicate-id", "RPC-14",
             (f'[3,"{ID}",{{}}]', f'[4,"{ID}","GenericError","",{{}}]'), script="answer"),
        Case("dupid-result-unknown-id", "duplicate-id", "RPC-14", ('[3,"nobody-asked",{}]',)),
        Case("dupid-error-unknown-id", "duplicate-id", "RPC-14", ('[4,"nobody-asked","GenericError","",{}]',)),
        Case("dupid-answer-wrong-id", "duplicate-id", "RPC-14", ('[3,"not-the-id",{}]',), script="answer"),
        Case("dupid-json-key", "duplicate-id", "RPC-05", ('[2,"d3","Heartbeat",{"a":1,"a":2}]',)),
        Case("dupid-json-key-as-answer", "duplicate-id", "RPC-05", (f'[3,"{ID}",{{"a":1,"a":1}}]',), script="answer"),
    ]
    return cases


def _binary() -> list[Case]:
    rng = random.Random(2013)
    blobs = {"valid-call": HB.encode(), "empty": b"", "nul": b"\x00", "invalid-utf8": b"\xff\xfe\xfd",
             "random-64": rng.randbytes(64), "random-1k": rng.randbytes(1024), "utf16": HB.encode("utf-16"),
             "gzip-magic": b"\x1f\x8b\x08\x00" + rng.randbytes(20), "call-with-latin1": b'[2,"b1","Heartbeat",{"a":"\xe9"}]',
             "random-4k": rng.randbytes(4096)}
    cases = [Case(f"binary-{name}", "binary", "RPC-05", (blob,)) for name, blob in blobs.items()]
    cases.append(Case("binary-interleaved", "binary", "RPC-05", (HB, b"\x01\x02", '[2,"h2","Heartbeat",{}]', b"\x03")))
    cases.append(Case("binary-as-answer", "binary", "RPC-05", (f'[3,"{ID}",{{}}]'.encode(),), script="answer"))
    return cases


def _closing() -> list[Case]:
    cases = [Case(f"close-{code}-mid-call", "close-mid-conversation", "RPC-01", script=f"close:{code}")
             for code in (1000, 1001, 1008, 1011, 3000, 4000)]
    cases.append(Case("close-abort-mid-call", "close-mid-conversation", "RPC-01", script="abort"))
    cases.append(Case("close-abort-idle", "close-mid-conversation", "RPC-01", script="abort-idle"))
    cases.append(Case("close-abort-partial-frame", "close-mid-conversation", "RPC-01", script="abort-partial"))
    cases.append(Case("close-after-bad-frame", "close-mid-conversation", "RPC-01", ("[2,",), script="close:1011"))
    return cases


def _handshakes() -> list[Case]:
    station_peer = ("silent", "partial-request-line", "garbage", "no-upgrade", "bad-version", "headers-never-end",
                    "close-at-once")
    csms_peer = ("silent", "garbage", "http-200", "101-no-accept", "101-bad-accept", "101-wrong-subprotocol",
                 "close-at-once", "slow-headers")
    return ([Case(f"handshake-station-{how}", "handshake", "RPC-01", script=f"hs:{how}", roles=("csms",))
             for how in station_peer]
            + [Case(f"handshake-csms-{how}", "handshake", "RPC-01", script=f"hs:{how}", roles=("station",))
               for how in csms_peer])


def _silence() -> list[Case]:
    return [
        Case("silent-never-answers", "never-answers", "TIMING", script="silent"),
        Case("silent-answers-other-id", "never-answers", "RPC-14", ('[3,"not-yours",{}]',), script="silent"),
        Case("silent-sends-own-call", "never-answers", "TIMING", ('[2,"own-1","Heartbeat",{}]',), script="silent"),
        Case("silent-sends-garbage", "never-answers", "TIMING", ("garbage",), script="silent"),
    ]


def _floods() -> list[Case]:
    n = 300
    return [
        Case("flood-calls", "flood", "RPC-15", tuple(f'[2,"f{i}","Heartbeat",{{}}]' for i in range(n))),
        Case("flood-garbage", "flood", "RPC-05", tuple(f"garbage {i}" for i in range(n))),
        Case("flood-unknown-responses", "flood", "RPC-14", tuple(f'[3,"r{i}",{{}}]' for i in range(n))),
        Case("flood-binary", "flood", "RPC-05", tuple(bytes([i % 256]) * 8 for i in range(n))),
        Case("flood-mixed", "flood", "RPC-06", tuple(('[2,"x","Heartbeat",{}]', "[9]", b"\x00", '[3,"y",{}]')[i % 4]
                                                     for i in range(n))),
        Case("flood-answers", "flood", "RPC-14", tuple(f'[3,"{ID}",{{}}]' for _ in range(n)), script="answer"),
    ]


def build() -> list[Case]:
    cases = (_invalid_utf8() + _non_json() + _shapes() + _types() + _message_types() + _oversize() + _nesting()
             + _numbers() + _duplicates() + _binary() + _closing() + _handshakes() + _silence() + _floods())
    names = Counter(c.name for c in cases)
    duplicates = [n for n, k in names.items() if k > 1]
    assert not duplicates, f"duplicate case names: {duplicates}"
    return cases


CASES = build()


def counts() -> dict[tuple[str, str], int]:
    """(category, role) -> number of case runs, for the report."""
    return dict(Counter((c.category, role) for c in CASES for role in c.roles))
