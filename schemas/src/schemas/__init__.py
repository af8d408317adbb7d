"""Public event contracts shared by every service."""
