"""The legal entities whose back-office this is: every credential belongs to one of them."""

TENANTS = ("smartfr", "coop-portage", "grandsensemble", "alterna")
