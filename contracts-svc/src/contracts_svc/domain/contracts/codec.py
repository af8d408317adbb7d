"""The contract events under their stable stored names."""

from __future__ import annotations

from contracts_svc.domain.contracts.events import (
    BudgetReservationAnswered,
    ContractAmended,
    ContractCancelled,
    ContractCompleted,
    ContractDrafted,
    ContractEvent,
    ContractRenewed,
    ContractSigned,
    HireDeclarationRefused,
    HireDeclared,
    LateHireDeclarationFlagged,
    WorkReported,
)

EVENT_TYPES: dict[str, type[ContractEvent]] = {
    "ContractDrafted": ContractDrafted,
    "HireDeclared": HireDeclared,
    "HireDeclarationRefused": HireDeclarationRefused,
    "LateHireDeclarationFlagged": LateHireDeclarationFlagged,
    "ContractSigned": ContractSigned,
    "WorkReported": WorkReported,
    "ContractRenewed": ContractRenewed,
    "ContractAmended": ContractAmended,
    "ContractCompleted": ContractCompleted,
    "ContractCancelled": ContractCancelled,
    "BudgetReservationAnswered": BudgetReservationAnswered,
}
