"""OCPP 2.0.1 conformance test harness: a pytest plugin that plays the CSMS or the Charging Station.

This module is the public API for test-case authors (DESIGN.md §3 rule 3): test cases import from here only.
The fixtures `csms` (harness acts as CSMS; SUT = station), `station` (harness acts as station; SUT = CSMS) and
`sut` (the SUT's control adapter) come from the plugin.
"""

from harness.control import CsmsControl, StationControl
from harness.errors import PreconditionNotMet
from harness.expect import SILENCE, check_interval
from harness.failures import NeedsDecision, NotApplicable, OcppFailure
from harness.fileserver import (
    FirmwareImage,
    FirmwareServer,
    LogReceiver,
    TransferError,
    Upload,
    UploadTimeout,
    download,
    upload,
)
from harness.matchers import (
    ABSENT,
    ANY,
    AbsentOr,
    AnyItem,
    IsType,
    OneOf,
    Regex,
    TimeWithin,
    Where,
    difference,
    parse_datetime,
)
from harness.ocppj import Call, CallError, CallResult, ErrorCode, Finding, Severity
from harness.ocppj.defaults import now_iso
from harness.ocppj.errorcodes import normalise as normalise_error_code
from harness.pki import (
    BadCertificate,
    CsrRejected,
    PkiFactory,
    Variant,
    bad_variants,
    certificate_hash,
    certificate_info,
    chain_problems,
    same_hash,
    split_pem,
    verify_firmware,
)
from harness.profile import IdToken
from harness.roles import CsmsRole, StationRole
from harness.roles.configuration import Contains, IfImplemented, IfWritable
from harness.roles.station import StationTransaction
from harness.transcript import Record
from harness.transport import ClientOptions, HandshakeRefused
from harness.usecase import states
from harness.usecase.scenario import Scenario, run_scenario
from harness.usecase.states import booted, station_booted
from harness.usecase.testcase import TestCaseMeta, testcase

__version__ = "0.1.0"

__all__ = [
    "ABSENT",
    "ANY",
    "SILENCE",
    "AbsentOr",
    "AnyItem",
    "BadCertificate",
    "Call",
    "CallError",
    "CallResult",
    "ClientOptions",
    "Contains",
    "CsmsControl",
    "CsmsRole",
    "CsrRejected",
    "ErrorCode",
    "Finding",
    "FirmwareImage",
    "FirmwareServer",
    "HandshakeRefused",
    "IdToken",
    "IfImplemented",
    "IfWritable",
    "IsType",
    "LogReceiver",
    "NeedsDecision",
    "NotApplicable",
    "OcppFailure",
    "OneOf",
    "PkiFactory",
    "PreconditionNotMet",
    "Record",
    "Regex",
    "Scenario",
    "Severity",
    "StationControl",
    "StationRole",
    "StationTransaction",
    "TestCaseMeta",
    "TimeWithin",
    "TransferError",
    "Upload",
    "UploadTimeout",
    "Variant",
    "Where",
    "__version__",
    "bad_variants",
    "booted",
    "certificate_hash",
    "certificate_info",
    "chain_problems",
    "check_interval",
    "difference",
    "download",
    "normalise_error_code",
    "now_iso",
    "parse_datetime",
    "run_scenario",
    "same_hash",
    "split_pem",
    "states",
    "station_booted",
    "testcase",
    "upload",
    "verify_firmware",
]
