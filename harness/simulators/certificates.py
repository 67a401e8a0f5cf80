"""The station simulator's certificate store: InstallCertificate (M05), GetInstalledCertificateIds (M03),
DeleteCertificate (M04) and its own ChargingStationCertificate renewed by SignCertificate / CertificateSigned (A02).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.pki import PkiFactory
from harness.pki.certinfo import (
    BadCertificate,
    CertificateInfo,
    certificate_info,
    chain_problems,
    issued_by,
    same_hash,
)


@dataclass
class Installed:
    kind: str  # a GetCertificateIdUseEnumType value
    info: CertificateInfo


@dataclass
class CertificateStore:
    """Installed root certificates by type, and the station's own certificate with the key of its last CSR."""

    serial_number: str
    pki: PkiFactory | None = None
    max_entries: int = 16
    installed: list[Installed] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)  # PEMs that may issue the station certificate (the CSO CA)
    pending_key: Path | None = None  # key of the CSR sent last; None when no renewal is under way
    station_chain: str | None = None  # PEM chain of the station certificate installed by CertificateSigned
    station_key: Path | None = None
    additional_root_check: bool = False  # SecurityCtrlr.AdditionalRootCertificateCheck (M05.FR.10/11)
    pending_root: str | None = None  # under the check: a new CSMS root to try first on the next connection (M05.FR.12)

    def trusted(self, kind: str = "CSMSRootCertificate") -> list[str]:
        return [i.info.pem for i in self.installed if i.kind == kind]

    # ---- M05 InstallCertificate ------------------------------------------------------------------------------
    def install(self, pem: str, kind: str, *, now: dt.datetime | None = None,
                any_validity: bool = False) -> tuple[str, str | None]:
        """(status, reason): Accepted, Rejected (not a valid CA certificate) or Failed (store full).
        `any_validity`: a certificate outside its validity period is taken too (a fault switch)."""
        now = now or dt.datetime.now(dt.UTC)
        try:
            info = certificate_info(pem)
        except BadCertificate as exc:
            return "Rejected", str(exc)
        if not info.valid_at(now) and not any_validity:
            return "Rejected", "certificate outside its validity period"
        if not info.is_ca:
            return "Rejected", "not a CA certificate"
        roots = self.trusted("CSMSRootCertificate")
        if (kind == "CSMSRootCertificate" and self.additional_root_check and roots and not any_validity
                and not any(issued_by(pem, root) for root in roots)):
            return "Rejected", "AdditionalRootCertificateCheck: not signed by the installed CSMSRootCertificate"
        if any(same_hash(i.info.hash_data, info.hash_data) and i.kind == kind for i in self.installed):
            return "Accepted", None  # installed already: idempotent
        if len(self.installed) >= self.max_entries:
            return "Failed", f"certificate store full ({self.max_entries} entries)"
        self.installed.append(Installed(kind, info))
        if kind == "CSMSRootCertificate" and self.additional_root_check and roots:
            self.pending_root = pem
        return "Accepted", None

    def root_replaced(self, *, remove_old: bool = True) -> str:
        """M05.FR.13: a connection validated with the pending root succeeded: the other CSMS roots go (unless
        `remove_old` is False, a fault); returns the root now in use."""
        new, self.pending_root = self.pending_root, None
        assert new is not None
        if remove_old:
            keep = certificate_info(new).hash_data
            self.installed = [i for i in self.installed
                              if i.kind != "CSMSRootCertificate" or same_hash(i.info.hash_data, keep)]
        return new

    # ---- M03 GetInstalledCertificateIds ----------------------------------------------------------------------
    def ids(self, kinds: list[str] | None) -> list[dict[str, Any]]:
        return [{"certificateType": i.kind, "certificateHashData": dict(i.info.hash_data)}
                for i in self.installed if not kinds or i.kind in kinds]

    # ---- M04 DeleteCertificate -------------------------------------------------------------------------------
    def delete(self, hash_data: dict[str, Any], *, own_deletable: bool = False) -> str:
        """Accepted, NotFound, or Failed for the station's own certificate (M04.FR.06; `own_deletable`: a fault's
        Accepted, and it is gone) and the last CSMS root a TLS connection depends on."""
        if self.station_chain is not None:
            with_issuer = self.issuers[0] if self.issuers else None
            own = certificate_info(self.station_chain, with_issuer)
            if same_hash(own.hash_data, hash_data):
                if own_deletable:
                    self.station_chain = None
                    return "Accepted"
                return "Failed"
        for entry in self.installed:
            if same_hash(entry.info.hash_data, hash_data):
                self.installed.remove(entry)
                if self.pending_root is not None and same_hash(certificate_info(self.pending_root).hash_data,
                                                               hash_data):
                    self.pending_root = None  # deleted before it was tried
                return "Accepted"
        return "NotFound"

    # ---- A02 SignCertificate / CertificateSigned ------------------------------------------------------------
    def new_csr(self, organisation: str) -> str:
        """A fresh key and its CSR (CN = serial number); the key waits for CertificateSigned."""
        if self.pki is None:
            raise RuntimeError("the station simulator has no PKI directory for its keys")
        request = self.pki.new_csr(self.serial_number, organisation=organisation)
        self.pending_key = request.key_path
        return request.csr_pem

    def certificate_signed(self, chain: str) -> list[str]:
        """Install the station certificate of `chain` when it is valid for the pending key; else the problems."""
        if self.pending_key is None:
            return ["no SignCertificate request is pending"]
        problems = chain_problems(chain, trusted=[*self.issuers, *self.trusted()], expected_cn=self.serial_number,
                                  key_path=self.pending_key)
        if not problems:
            self.station_chain, self.station_key, self.pending_key = chain, self.pending_key, None
        return problems
