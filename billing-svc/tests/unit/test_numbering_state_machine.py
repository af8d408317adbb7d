"""Random drafting, changing, discarding and (re)finalising of invoices never leaves a gap in a series.

A hypothesis state machine drafts invoices in two series and finalises them as the handler does (ADR 011):
the series' counter gives the next sequence, the pure decider decides with it, and the counter moves only
when the finalisation's events are appended (one transaction: a refusal rolls the number back, and a retried
finalisation decides nothing). Some drafts are of nothing and are refused at finalisation. After every step:
each series' issued sequences are exactly 1..N, each number is unique and names its series and sequence, an
invoice is issued once, a discarded draft never, and a later number never bears an earlier date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import event as label
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from billing_svc.domain.invoicing import (
    ChangeDraft,
    DiscardDraft,
    DraftState,
    FinaliseInvoice,
    InvoiceCommand,
    InvoiceState,
    IssuedInvoice,
    Line,
    decide,
    evolve,
    initial_state,
)
from billing_svc.domain.invoicing.rules import (
    CannotFinalise,
    InvalidInvoiceField,
    InvoiceAlreadyIssued,
    InvoiceDiscarded,
    UnknownInvoice,
)
from billing_svc.reference import REFERENCE

from .invoice_fixtures import DESIGN, NOW, TODAY, content, draft

SERIES = ("F2026", "AV2026")
# The decider's refusals (anything else it raises is a bug, and fails the machine).
REFUSALS = (InvalidInvoiceField, UnknownInvoice, InvoiceAlreadyIssued, InvoiceDiscarded, CannotFinalise)
NOTHING = Line(description="Rien", quantity=Decimal("1"), unit_price_cents=0, vat_percent=Decimal("20"))


@dataclass
class Issued:
    series: str
    sequence: int
    number: str
    issue_date: date


class Numbering(RuleBasedStateMachine):
    invoices = Bundle("invoices")

    @initialize()
    def empty_series(self) -> None:
        self.states: dict[UUID, InvoiceState] = {}
        self.counters: dict[str, int] = defaultdict(int)  # billing.invoice_counters: the last sequence
        self.issued: dict[UUID, Issued] = {}
        self.discarded: set[UUID] = set()
        self.today = TODAY

    def _apply(self, invoice_id: UUID, command: InvoiceCommand) -> bool:
        try:
            events = decide(command, self.states[invoice_id])
        except REFUSALS as refused:
            label(f"refused: {type(refused).__name__}")
            return False
        for one in events:
            self.states[invoice_id] = evolve(self.states[invoice_id], one)
        return bool(events)

    @rule(target=invoices, series=st.sampled_from(SERIES), of_nothing=st.booleans())
    def a_draft(self, series: str, of_nothing: bool) -> UUID:
        invoice_id = uuid4()
        self.states[invoice_id] = initial_state
        lines = (NOTHING,) if of_nothing else (DESIGN,)
        command = draft(invoice_id=invoice_id, series=series, content=content(lines=lines), today=self.today)
        assert self._apply(invoice_id, command)
        return invoice_id

    @rule(invoice=invoices, of_nothing=st.booleans())
    def change(self, invoice: UUID, of_nothing: bool) -> None:
        lines = (NOTHING,) if of_nothing else (DESIGN,)
        self._apply(invoice, ChangeDraft(invoice, content(lines=lines), NOW, self.today, REFERENCE))

    @rule(invoice=invoices)
    def discard(self, invoice: UUID) -> None:
        if self._apply(invoice, DiscardDraft(invoice, NOW)):
            self.discarded.add(invoice)

    @rule(invoice=invoices)
    def finalise(self, invoice: UUID) -> None:
        """Under the series' lock: the next sequence, taken for good only if the events are appended."""
        state = self.states[invoice]
        series = state.draft.series if isinstance(state, IssuedInvoice) else getattr(state, "series", None)
        if series is None:
            return
        sequence = self.counters[series] + 1
        command = FinaliseInvoice(invoice, sequence, self.today, NOW, REFERENCE)
        if not self._apply(invoice, command):
            label(
                "finalisation decided nothing" if isinstance(state, IssuedInvoice) else "finalisation refused"
            )
            return
        label("finalised")
        self.counters[series] = sequence
        issued = self.states[invoice]
        assert isinstance(issued, IssuedInvoice)
        self.issued[invoice] = Issued(series, issued.sequence, issued.number, issued.issue_date)

    @rule(days=st.integers(min_value=0, max_value=3))
    def a_day_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @invariant()
    def every_series_is_numbered_1_to_n_without_gap_or_duplicate(self) -> None:
        for series in SERIES:
            sequences = sorted(i.sequence for i in self.issued.values() if i.series == series)
            assert sequences == list(range(1, len(sequences) + 1)), (series, sequences)
            assert self.counters[series] == len(sequences)

    @invariant()
    def a_number_names_its_series_and_sequence_and_is_unique(self) -> None:
        numbers = [i.number for i in self.issued.values()]
        assert len(numbers) == len(set(numbers))
        for issued in self.issued.values():
            assert issued.number == f"{issued.series}-{issued.sequence:06d}"

    @invariant()
    def a_later_number_never_bears_an_earlier_date(self) -> None:
        for series in SERIES:
            in_order = sorted(
                (i for i in self.issued.values() if i.series == series), key=lambda i: i.sequence
            )
            dates = [i.issue_date for i in in_order]
            assert dates == sorted(dates), (series, dates)

    @invariant()
    def an_invoice_is_issued_once_and_a_discarded_draft_never(self) -> None:
        assert not self.discarded & set(self.issued)
        for invoice_id, state in self.states.items():
            assert isinstance(state, IssuedInvoice) == (invoice_id in self.issued)
            if isinstance(state, IssuedInvoice):
                assert state.sequence == self.issued[invoice_id].sequence  # a retry did not renumber
            elif isinstance(state, DraftState) and state.discarded:
                assert invoice_id in self.discarded


Numbering.TestCase.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestNumbering = Numbering.TestCase
