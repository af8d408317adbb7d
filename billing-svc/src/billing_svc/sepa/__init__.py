"""SEPA direct debit files (pain.008) for the GDC invoices collected under a mandate."""
