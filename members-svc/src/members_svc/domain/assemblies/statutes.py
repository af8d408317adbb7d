"""The college configuration of each tenant: data, with its source.

SmartFr (source: ../shared/DOMAIN.md, "Members"): 9 member categories in 4 colleges. Categories 1-3 are the
beneficiaries (activity holders, affiliated or occasional users, GDC employer associations), 4 the SCIC's
employees, 5-9 the partners: 5 clients, 6 sector partners, 7 territorial partners, 8 professional partners,
9 economic partners. DOMAIN.md weighs "partners and clients" 40 % and "economic partners and local
authorities" 10 % without placing each of 5-9; our reading, to be confirmed against SmartFr's statutes:
clients (5), sector (6) and professional (8) partners vote with the partners and clients; territorial partners
(7, the local authorities) and economic partners (9) in the economic partners and local authorities' college.

A college with no vote cast has its weight shared pro rata among the others (DOMAIN.md; set
`redistribute_empty_colleges=False` if the statutes say otherwise). Abstentions are not votes cast
(suffrages exprimés: the yes and the no), as the Code de commerce now counts them (L225-96, L225-98 since
loi 2019-744); a member who abstains still takes part.

Quorum and majority are not in our sources: the values below are those of the usual SCIC statutes on first
convocation (ordinary: a fifth of the members convened take part, more than half of the weighted votes cast;
extraordinary: a third, two thirds), to be confirmed against each tenant's statutes.

The other cooperatives' statutes are not in our sources either: until they are entered, they use SmartFr's
configuration (`DEFAULT`), which each must replace with its own.
"""

from __future__ import annotations

from decimal import Decimal

from members_svc.domain.assemblies.colleges import College, CollegeConfiguration

SMARTFR = CollegeConfiguration(
    source="../shared/DOMAIN.md, Members (college weights); loi 47-1775 art. 19 octies (10-50 % each)",
    colleges=(
        College(code="beneficiaries", name="Bénéficiaires", weight=Decimal(25), categories=(1, 2, 3)),
        College(
            code="employees",
            name="Producteurs de services (salariés)",
            weight=Decimal(25),
            categories=(4,),
        ),
        College(
            code="partners_and_clients",
            name="Partenaires et clients",
            weight=Decimal(40),
            categories=(5, 6, 8),
        ),
        College(
            code="economic_partners_and_local_authorities",
            name="Partenaires économiques et collectivités",
            weight=Decimal(10),
            categories=(7, 9),
        ),
    ),
    redistribute_empty_colleges=True,
    abstentions_are_votes_cast=False,
    quorum={"ordinary": Decimal(20), "extraordinary": Decimal("33.33")},
    majority={"ordinary": "more_than_half", "extraordinary": "two_thirds"},
)

DEFAULT = SMARTFR
TENANTS: dict[str, CollegeConfiguration] = {"smartfr": SMARTFR}


def configuration_of(tenant: str) -> CollegeConfiguration:
    return TENANTS.get(tenant, DEFAULT)
