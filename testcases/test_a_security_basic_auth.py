"""Block A Security, HTTP Basic Authentication (security profiles 1 and 2; profile 3 uses none), both roles."""

from __future__ import annotations

from harness import CsmsControl, CsmsRole, HandshakeRefused, Severity, StationControl, StationRole, testcase


@testcase("TC_A_01_CS", "Basic Authentication - Valid username/password combination", usecases=("A00", "B01"),
          requirements=("A00.FR.201", "A00.FR.202", "A00.FR.203", "A00.FR.204", "A00.FR.205"), security=(1, 2))
async def test_TC_A_01_CS(csms: CsmsRole, sut: StationControl) -> None:
    boot = csms.expect("BootNotification", respond=lambda _: csms.boot_response("Accepted"))
    mark = len(csms.transcript.records)
    with csms.step("Manual Action: power cycle the Charging Station, so it opens a new connection"):
        await sut.power_cycle()
    with csms.step("1. The station connects with 'Authorization: Basic base64(<id>:<password>)'"):
        handshake = await csms.wait_record(lambda r: r.event == "handshake", after=mark,
                                           what="the station to open a new WebSocket connection")
        if handshake.detail.get("auth") != "ok" or handshake.findings:
            raise csms.failure("the station did not authenticate with valid Basic Auth credentials",
                               expected="user = station identity, the configured password (16-40 characters)",
                               actual=f"HTTP {handshake.detail.get('status')}, auth {handshake.detail.get('auth')}",
                               message="\n".join(f.one_line() for f in handshake.findings), rules=("SEC-5",))
    with csms.step("2-3. BootNotificationRequest; the harness responds Accepted"):
        await csms.received(boot)


@testcase("TC_A_01_CSMS", "Basic Authentication - Valid username/password combination", usecases=("A00", "B01"),
          requirements=("A00.FR.201", "A00.FR.206"), security=(1, 2))
async def test_TC_A_01_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1. Connect with valid Basic Auth credentials: the CSMS accepts the connection"):
        await station.connect()
    with station.step("2. BootNotificationRequest; the CSMS responds Accepted"):
        await station.boot("PowerUp", {"status": "Accepted"})


async def _refused(station: StationRole, *, username: str | None, password: str | None, what: str) -> None:
    """Part 6 asks only that the CSMS rejects the upgrade; anything but HTTP 401 passes with a warning naming it."""
    result = await station.try_connect(station.options(username=username, password=password), refusal_expected=True)
    if isinstance(result, HandshakeRefused):
        if result.status == 401:
            return
        if result.status not in (403, None):
            raise station.failure(f"the CSMS refused {what} with an unexpected HTTP status",
                                  expected="HTTP 401 Unauthorized", actual=str(result), rules=("SEC-5",))
        how = f"HTTP {result.status}" if result.status else "no HTTP status (it closed the connection)"
    else:
        await station.wait_closed(what=f"the CSMS to refuse {what}")
        how = "a WebSocket connection it closed afterwards"
    # RFC 7235 §3.1: credentials refused are answered 401 (with WWW-Authenticate), what a station's client expects
    station.note_finding("SEC-5", Severity.WARN, f"the CSMS refused {what} with {how}; expected HTTP 401 "
                                                 "Unauthorized")


@testcase("TC_A_02_CSMS", "Basic Authentication - Username does not equal ChargingStationId", usecases=("A00",),
          requirements=("A00.FR.202", "A00.FR.207"), security=(1, 2))
async def test_TC_A_02_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1. Connect with a Basic Auth user name that differs from the identity: refused"):
        await _refused(station, username=station.identity + "X", password=station.password,
                       what="a user name that is not the station identity")
    with station.step("2. Connect with valid credentials: accepted"):
        await station.connect()
        await station.boot("PowerUp", {"status": "Accepted"})


@testcase("TC_A_03_CSMS", "Basic Authentication - Invalid password", usecases=("A00",),
          requirements=("A00.FR.207",), security=(1, 2))
async def test_TC_A_03_CSMS(station: StationRole, sut: CsmsControl) -> None:
    with station.step("1. Connect with a wrong password: refused"):
        await _refused(station, username=None, password="WrongPassword0123456789", what="a wrong password")
    with station.step("2. Connect with valid credentials: accepted"):
        await station.connect()
        await station.boot("PowerUp", {"status": "Accepted"})
