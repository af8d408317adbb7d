"""The schematron pool: checks in worker processes, and a worker killed under it does not break finalising."""

from __future__ import annotations

import os
import signal

import pytest

from billing_svc.codecs import INVOICE as INVOICE_DECIDER
from billing_svc.domain.invoicing import IssuedInvoice
from billing_svc.facturx.checks import FacturXRejected
from billing_svc.facturx.cii import build_cii
from billing_svc.facturx.pool import FacturXValidator

from .invoice_fixtures import draft, finalise


def _xml(total_offset: int = 0) -> bytes:
    state = INVOICE_DECIDER.fold(INVOICE_DECIDER.decide(draft(), INVOICE_DECIDER.initial_state))
    issued = INVOICE_DECIDER.fold_from(state, INVOICE_DECIDER.decide(finalise(), state))
    assert isinstance(issued, IssuedInvoice)
    if total_offset:
        totals = issued.totals.model_copy(update={"total_cents": issued.totals.total_cents + total_offset})
        issued = IssuedInvoice(**{**issued.__dict__, "totals": totals})
    return build_cii(issued)


async def test_the_pool_refuses_naming_the_rule_and_survives_a_killed_worker() -> None:
    validator = FacturXValidator(1)
    try:
        await validator.check(_xml())
        with pytest.raises(FacturXRejected, match="BR-CO-15"):
            await validator.check(_xml(total_offset=1))
        worker = next(iter(validator._executor()._processes))  # the one worker's pid
        os.kill(worker, signal.SIGKILL)
        await validator.check(_xml())  # a new pool took over
        with pytest.raises(FacturXRejected, match="BR-CO-15"):
            await validator.check(_xml(total_offset=1))
    finally:
        validator.close()
