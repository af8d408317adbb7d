"""A fake bank behind the Bank port: it reads the real pain.001 file; it accepts, rejects lines, or fails.

Real transmission (EBICS to the cooperative's bank) cannot run here. The fake checks what a bank checks first:
the file validates against the pain.001.001.09 XSD; then it rejects the transfers to the IBANs it was told to
reject (with an ISO 20022 reason such as AC04, closed account), or fails the whole file when told to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the workspace

from payroll_svc.domain.payments import BankReceipt, BankUnavailable
from payroll_svc.integration.sepa_credit_transfer import NAMESPACE, InvalidPaymentFile, validate_pain_001

NS = {"p": NAMESPACE}


@dataclass
class FakeBank:
    rejects: Mapping[str, str] = field(default_factory=dict)  # IBAN -> reason
    fails: bool = False
    received: list[bytes] = field(default_factory=list)

    def submit(self, payment_file: bytes) -> BankReceipt:
        if self.fails:
            raise BankUnavailable("the bank did not acknowledge the file")
        try:
            validate_pain_001(payment_file)
        except InvalidPaymentFile as error:
            raise BankUnavailable(f"the bank refused the file: {error}") from error
        self.received.append(payment_file)
        rejected = {}
        for transfer in etree.fromstring(payment_file).iterfind(".//p:CdtTrfTxInf", NS):
            iban = transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS)
            if iban in self.rejects:
                rejected[transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = self.rejects[iban]
        return BankReceipt(rejected=rejected)
