"""TC_K_38_CS (use case F01), SUT = Charging Station, as its Part 6 table runs it: a station without Smart Charging
accepts a RequestStartTransaction that carries a TxProfile, ignores the profile (F01.FR.12/13) and starts as
usual.
"""

from __future__ import annotations

from typing import Any

from harness import CsmsRole, NotApplicable, StationControl, booted, states, testcase

PROFILE_ID = 38  # chargingProfile.id and chargingSchedule.id of the TxProfile the harness sends


def _tx_profile(csms: CsmsRole) -> dict[str, Any]:
    """The TxProfile of step 1: Relative, no transactionId, one period from 0 at 6 A (errata 2025-09: the limit is
    6 x the limit multiplier: 1 in A, 230 V per phase in W), <Configured numberPhases>."""
    unit, phases = csms.configured.charging_rate_unit, csms.configured.number_phases
    multiplier = 1 if unit == "A" else 230 * phases
    return {"id": PROFILE_ID, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": [{"id": PROFILE_ID, "chargingRateUnit": unit, "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 6 * multiplier, "numberPhases": phases}]}]}


async def _require_no_smart_charging(csms: CsmsRole) -> None:
    """Prerequisite: the station does not support Smart Charging (SmartChargingCtrlr.Available / Enabled are not
    true; a station without the component has none)."""
    with csms.step("Prerequisite: the station does not support Smart Charging (SmartChargingCtrlr.Available, "
                   "Enabled)"):
        values = await csms.configuration.read("SmartChargingCtrlr.Available", "SmartChargingCtrlr.Enabled")
    supported = [k for k, v in values.items() if v == "true"]
    if supported:
        raise NotApplicable("prerequisite: the Charging Station does NOT support Smart Charging; it reports "
                            + " and ".join(f"{k} true" for k in supported))


@testcase("TC_K_38_CS")
async def test_TC_K_38_CS(csms: CsmsRole, sut: StationControl) -> None:
    await booted(csms, sut)
    await _require_no_smart_charging(csms)
    await states.ev_connected_pre_session(csms, sut)  # Before: State is EVConnectedPreSession
    profile = _tx_profile(csms)
    limit = profile["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"]
    with csms.step(f"1-6. RequestStartTransactionRequest for EVSE {csms.configured.evse_id} with a TxProfile "
                   f"(Relative, no transactionId, limit {limit} {csms.configured.charging_rate_unit}): Accepted; "
                   "AuthorizeRequest when AuthorizeRemoteStart is true; TransactionEvent RemoteStart with "
                   "remoteStartId"):
        await states.authorized(csms, sut, how="remote", charging_profile=profile)
    with csms.step("7. Reusable state EnergyTransferStarted"):
        await states.energy_transfer_started(csms, sut)
