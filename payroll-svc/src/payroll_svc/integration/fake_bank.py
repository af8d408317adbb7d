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


class LostAfterAcceptance(Exception):
    """Injected: the bank accepted the file, and the caller never heard it (a crash, a cut connection)."""


@dataclass
class FakeBank:
    rejects: Mapping[str, str] = field(default_factory=dict)  # IBAN -> reason
    fails: bool = False
    lose_answers: bool = False  # accept each file, then raise LostAfterAcceptance instead of answering
    received: list[bytes] = field(default_factory=list)
    answers: dict[str, BankReceipt] = field(default_factory=dict)  # message id -> the bank's answer

    def submit(self, payment_file: bytes) -> BankReceipt:
        if self.fails:
            raise BankUnavailable("the bank did not acknowledge the file")
        try:
            validate_pain_001(payment_file)
        except InvalidPaymentFile as error:
            raise BankUnavailable(f"the bank refused the file: {error}") from error
        document = etree.fromstring(payment_file)
        message_id = document.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS)
        if message_id in self.answers:  # a bank refuses a message id it already has (duplicate check)
            raise BankUnavailable(f"message {message_id} was already received")
        self.received.append(payment_file)
        rejected = {}
        for transfer in document.iterfind(".//p:CdtTrfTxInf", NS):
            iban = transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS)
            if iban in self.rejects:
                rejected[transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = self.rejects[iban]
        receipt = BankReceipt(rejected=rejected)
        self.answers[message_id] = receipt
        if self.lose_answers:
            raise LostAfterAcceptance(f"the answer to message {message_id} was lost")
        return receipt

    def status(self, message_id: str) -> BankReceipt | None:
        return self.answers.get(message_id)
