"""How members-svc runs: its definition for the runtime, and the process entry point."""
