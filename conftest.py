"""The test kit's fixtures (real PostgreSQL, real Kafka) for every suite of the workspace."""

pytest_plugins = ["services.testkit.pytest_plugin"]
