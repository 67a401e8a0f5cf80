"""Block J (meter values): every check proven. A simulator fault switch makes exactly the matching case fail, with
a message that names what was expected. The pattern of tests/test_fault_detection.py; TC_J_01_CS and
TC_J_01_CSMS are proven there."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runner import prove_caught, sample

FAST = ("-o", "ocpp_heartbeat_interval=3", "-o", "ocpp_tolerance=1", "-o", "ocpp_timeout=6")

# fault switch -> (test case ids that must fail, texts the failure message must contain)
FAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # station: clock-aligned values around a transaction (J01)
    "aligned_wrong_context": (("TC_J_02_CS", "TC_J_06_CS"), ("context is not Sample.Clock",)),
    "aligned_missing_measurand": (("TC_J_02_CS", "TC_J_06_CS"),
                                  ("lack a measurand of AlignedDataCtrlr.Measurands", "Energy.Active.Import.Register")),
    "aligned_skip_interval": (("TC_J_02_CS", "TC_J_06_CS"), ("TIMING", "interval between clock-aligned")),
    "aligned_tx_wrong_trigger": (("TC_J_02_CS",), ("triggerReason MeterValueClock",)),
    "aligned_during_transaction": (("TC_J_06_CS",), ("reported meter values during the transaction",)),
    # station: the Ended event's values (J01.FR.14, J02.FR.10) and signed readings
    "ended_no_meter_value": (("TC_J_03_CS", "TC_J_10_CS"), ("Ended TransactionEvent carries no meterValue",)),
    "ended_wrong_context": (("TC_J_03_CS", "TC_J_10_CS"), ("a meterValue of the Ended event: sampledValue[0].context",)),
    "ended_uneven_interval": (("TC_J_03_CS", "TC_J_10_CS"), ("TIMING", "values of the Ended event")),
    "ended_missing_measurand": (("TC_J_03_CS", "TC_J_10_CS"), ("lack a measurand of", "TxEndedMeasurands")),
    "ended_no_transaction_end": (("TC_J_10_CS",), ("no Transaction.End value",)),
    "unsigned_readings": (("TC_J_04_CS", "TC_J_11_CS"), ("is not signed although SignReadings is true",)),
    "bad_public_key": (("TC_J_04_CS", "TC_J_11_CS"), ("signedMeterValue.publicKey", "not a public key")),
    # station: the Transaction.Begin values and the periodic ones (J02)
    "begin_wrong_context": (("TC_J_07_CS", "TC_J_08_CS"), ("context is not Transaction.Begin",)),
    "begin_missing_measurand": (("TC_J_07_CS", "TC_J_08_CS"), ("TxStartedMeasurands", "Energy.Active.Import.Register")),
    "sampled_wrong_trigger": (("TC_J_09_CS",), ("triggerReason MeterValuePeriodic",)),
    "sampled_wrong_context": (("TC_J_09_CS",), ("context is not Sample.Periodic",)),
    "sampled_missing_measurand": (("TC_J_09_CS",), ("TxUpdatedMeasurands", "Energy.Active.Import.Register")),
    "sampled_skip_interval": (("TC_J_09_CS",), ("TIMING", "periodic TransactionEvent timestamps")),
    # CSMS: it must take every report (a valid CALLRESULT)
    "meter_values_error": (("TC_J_02_CSMS",), ("refused a valid MeterValues", "InternalError")),
    "notify_event_error": (("TC_J_02_CSMS",), ("refused a valid NotifyEvent", "InternalError")),
    "csms_reject_clock_values": (("TC_J_02_CSMS",), ("refused a valid TransactionEvent", "clock-aligned values")),
    "csms_reject_ended_values": (("TC_J_03_CSMS", "TC_J_04_CSMS", "TC_J_10_CSMS", "TC_J_11_CSMS"),
                                 ("refused a valid TransactionEvent", "more than one meterValue")),
    "csms_reject_signed_values": (("TC_J_04_CSMS", "TC_J_11_CSMS"), ("refused a valid TransactionEvent", "signed")),
    "csms_reject_begin_values": (("TC_J_07_CSMS", "TC_J_08_CSMS"),
                                 ("refused a valid TransactionEvent", "Transaction.Begin values")),
    "csms_reject_periodic_values": (("TC_J_09_CSMS",), ("refused a valid TransactionEvent", "periodic values")),
}

SAMPLE = {"ended_wrong_context", "begin_missing_measurand", "csms_reject_ended_values"}


@pytest.mark.parametrize("fault", sample(FAULTS, SAMPLE))
def test_fault_is_caught(fault: str, tmp_path: Path) -> None:
    prove_caught(tmp_path, fault, FAULTS[fault], extra=FAST)
