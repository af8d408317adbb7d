"""The test kit's fixtures (real PostgreSQL, real Kafka) for every suite of the workspace."""

# pytest's importlib mode names `schemas/tests/test_x.py` `schemas.tests.test_x` and creates an empty
# `schemas` module for it unless the real package is imported first: import the packages whose folders
# share their name.
import gateway
import schemas
import services

pytest_plugins = ["services.testkit.pytest_plugin"]

__all__ = ["gateway", "schemas", "services"]
