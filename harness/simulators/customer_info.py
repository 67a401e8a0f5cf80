"""Customer information (N09 get, N10 clear) in the station simulator: what it knows of a customer, how it reports
it (NotifyCustomerInformation parts of at most 512 characters, tbc on every part but the last, seqNo from 0, the
request's requestId) and what a clear removes (N10.FR.01: everything but the Local Authorization List).

What it knows: of an idToken, its authorization cache entry and its Local Authorization List entry; of a
customerIdentifier, the records the lab stored (control action `store-customer-identifier`). No data: one part with
empty data (Part 6 TC_N_62_CS step 7 wants it empty); a clear without a report: one part saying what was cleared.
Fault switches (StationFaults): `customer_info_rejected`, `customer_info_no_data`, `customer_info_not_cleared`,
`customer_info_endless_tbc`, `customer_info_no_notify`, `customer_info_wrong_request_id`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.ocppj.defaults import now_iso
from harness.simulators.authorization import LocalAuthorization, key_of

PART = 512  # NotifyCustomerInformationRequest.data maxLength


class CustomerFaults(Protocol):
    customer_info_rejected: bool
    customer_info_no_data: bool
    customer_info_not_cleared: bool
    customer_info_endless_tbc: bool
    customer_info_no_notify: bool
    customer_info_wrong_request_id: bool


Notify = Callable[[str, dict[str, Any]], Awaitable[object]]


@dataclass
class CustomerInformation:
    auth: LocalAuthorization
    faults: CustomerFaults
    customers: dict[str, list[str]] = field(default_factory=dict)  # customerIdentifier -> records the lab stored

    def store(self, identifier: str) -> None:
        """The lab's manual action: a record for `identifier` (TC_N_62_CS memory state)."""
        self.customers.setdefault(identifier, []).append(f"customer {identifier}: record stored at {now_iso()}")

    def _data(self, payload: dict[str, Any]) -> list[str]:
        token, identifier = payload.get("idToken"), payload.get("customerIdentifier")
        lines: list[str] = []
        if isinstance(token, dict):
            key = key_of(token)
            if key in self.auth.cache:
                lines.append(f"idToken {key[0]} ({key[1]}) in the authorization cache: {self.auth.cache[key]}")
            if key in self.auth.local_list:
                lines.append(f"idToken {key[0]} ({key[1]}) in the local authorization list: "
                             f"{self.auth.local_list[key]}")
        if isinstance(identifier, str):
            lines += self.customers.get(identifier, [])
        return lines

    def _clear(self, payload: dict[str, Any]) -> None:
        if self.faults.customer_info_not_cleared:
            return
        token, identifier = payload.get("idToken"), payload.get("customerIdentifier")
        if isinstance(token, dict):
            self.auth.cache.pop(key_of(token), None)  # N10.FR.01: the local list stays
            self.auth.cached_at.pop(key_of(token), None)
        if isinstance(identifier, str):
            self.customers.pop(identifier, None)

    def request(self, payload: dict[str, Any], notify: Notify,
                after_answer: Callable[[Callable[[], Awaitable[None]]], None]) -> dict[str, Any]:
        """The CustomerInformationResponse; the NotifyCustomerInformation parts follow once it is on the wire."""
        named = [k for k in ("idToken", "customerCertificate", "customerIdentifier") if k in payload]
        if self.faults.customer_info_rejected or len(named) != 1 or "customerCertificate" in named:
            reason = "one of idToken or customerIdentifier is required" if len(named) != 1 else \
                "customerCertificate is not supported" if named[0] == "customerCertificate" else "refused"
            return {"status": "Rejected" if named or self.faults.customer_info_rejected else "Invalid",
                    "statusInfo": {"reasonCode": "UnsupportedRequest" if named else "InvalidValue",
                                   "additionalInfo": reason}}
        data = [] if self.faults.customer_info_no_data else self._data(payload)
        if payload.get("clear"):
            self._clear(payload)
            if not payload.get("report"):
                data = [f"customer information of {named[0]} cleared"]
        text = "\n".join(data)
        parts = [text[i:i + PART] for i in range(0, len(text), PART)] or [""]
        request_id = int(payload["requestId"]) + (1 if self.faults.customer_info_wrong_request_id else 0)

        async def send() -> None:
            generated = now_iso()
            for seq, part in enumerate(parts):
                last = seq == len(parts) - 1
                await notify("NotifyCustomerInformation", {
                    "data": part, "tbc": self.faults.customer_info_endless_tbc or not last, "seqNo": seq,
                    "generatedAt": generated, "requestId": request_id})

        if not self.faults.customer_info_no_notify:
            after_answer(send)
        return {"status": "Accepted"}
