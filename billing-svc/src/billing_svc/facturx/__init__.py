"""Factur-X (EN 16931 CII) for issued invoices: the XML, its XSD and schematron checks, the PDF/A-3."""
