"""The members' domain: pure, no I/O."""
