"""The Kubernetes manifests in deploy/k8s, validated offline.

Core kinds against the Kubernetes API schemas (kubernetes-validate); CloudNativePG's kinds against the CRD
schemas of the operator's own module (fetched from the Go module proxy: skipped without `go`); Strimzi's CRDs
cannot be had from a package registry here, so its resources are held to the invariants the deployment relies
on. Then the manifests are checked against the code: every topic a service produces or consumes has its
KafkaTopic, every setting given to a container is one its service reads, every Service selects pods.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from backoffice.catalogue import GATEWAY_SETTINGS, SERVICES
from gateway.entrypoints.definition import definition as gateway_definition
from services.envelope import dead_letter_topic

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.33.0"
CNPG_MODULE = "github.com/cloudnative-pg/cloudnative-pg@v1.27.0"
CORE_GROUPS = ("v1", "apps/", "autoscaling/", "policy/", "networking.k8s.io/", "batch/", "rbac.")


@cache
def documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = []
    for resource in kustomization["resources"]:
        path = K8S / resource
        assert path.is_file(), f"kustomization lists {resource}, which does not exist"
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in documents() if doc["kind"] == kind]


def names(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def test_every_core_resource_is_valid_for_the_kubernetes_api() -> None:
    core = [doc for doc in documents() if doc["apiVersion"].startswith(CORE_GROUPS)]
    assert len(core) > 20
    for doc in core:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.utils.ValidationError as error:
            pytest.fail(f"{names(doc)}: {error.message} at {list(error.path)}")


@cache
def cnpg_schemas() -> dict[str, dict[str, Any]]:
    if shutil.which("go") is None:
        pytest.skip("the CloudNativePG CRDs come from the Go module proxy, and `go` is not installed")
    found = subprocess.run(
        ["go", "mod", "download", "-json", CNPG_MODULE],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    crds = Path(json.loads(found.stdout)["Dir"]) / "config" / "crd" / "bases"
    schemas = {}
    for path in crds.glob("postgresql.cnpg.io_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            schemas[f"{crd['spec']['names']['kind']}/{version['name']}"] = version["schema"][
                "openAPIV3Schema"
            ]
    return schemas


def test_cloudnative_pg_resources_match_the_operators_crds() -> None:
    resources = [doc for doc in documents() if doc["apiVersion"].startswith("postgresql.cnpg.io/")]
    assert {doc["kind"] for doc in resources} == {"Cluster", "ScheduledBackup"}
    for doc in resources:
        schema = cnpg_schemas()[f"{doc['kind']}/{doc['apiVersion'].split('/')[1]}"]
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
        assert not errors, f"{names(doc)}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors)
    cluster = of_kind("Cluster")[0]
    assert cluster["spec"]["instances"] >= 3
    assert "barmanObjectStore" in cluster["spec"]["backup"]
    assert of_kind("ScheduledBackup")[0]["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    # Row-level security needs the services' role to exist, and the owner to be able to SET ROLE to it.
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert roles["backoffice"]["inRoles"] == ["backoffice_app"]


def test_kafka_runs_three_brokers_with_replication_three_and_two_in_sync() -> None:
    (pool,) = of_kind("KafkaNodePool")
    (kafka,) = of_kind("Kafka")
    assert pool["spec"]["replicas"] == 3
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3
    assert config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False  # services create nothing by accident
    for topic in of_kind("KafkaTopic"):
        assert topic["spec"]["replicas"] == 3, names(topic)
        assert topic["spec"]["config"]["min.insync.replicas"] == 2, names(topic)


def deployables() -> dict[str, Any]:
    """Each service's definition (its topics) and settings class, as `backoffice serve` builds them."""
    found = {name: (one.definition(), one.settings) for name, one in SERVICES.items()}
    found["gateway"] = (gateway_definition(lambda name: None), GATEWAY_SETTINGS)  # type: ignore[arg-type,return-value]
    return found


def test_every_topic_the_services_use_has_its_kafka_topic_and_dead_letter_topic() -> None:
    declared = {topic["spec"]["topicName"]: topic["spec"]["partitions"] for topic in of_kind("KafkaTopic")}
    config = of_kind("ConfigMap")[0]["data"]
    for name, (definition, _) in deployables().items():
        used = set(definition.produces)
        used |= {topic for consumer in definition.consumers(_AnyService()) for topic in consumer.topics}
        for topic in used:
            assert declared.get(topic) == int(config["topic-partitions"]), f"{name} uses {topic}"
            assert dead_letter_topic(topic) in declared, f"{name}: no dead-letter topic for {topic}"


class _AnyService:
    """Stands in for a built service where a definition only reads attributes to list its consumers."""

    def __getattr__(self, name: str) -> Any:
        return _AnyService()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _AnyService()


def test_each_service_has_api_and_worker_deployments_given_only_settings_it_reads() -> None:
    deployments = {doc["metadata"]["name"]: doc for doc in of_kind("Deployment")}
    for name, (_, settings) in deployables().items():
        prefix = settings.model_config["env_prefix"]
        fields = {f"{prefix}{field}".upper() for field in settings.model_fields}
        for role in ("api", "worker"):
            deployment = deployments[f"{name}-{role}"]
            (container,) = deployment["spec"]["template"]["spec"]["containers"]
            assert container["args"] == ["serve", name, "--role", role]
            for variable in container["env"]:
                if variable["name"].startswith(prefix):
                    assert variable["name"] in fields, f"{name}-{role}: {variable['name']} is read by nobody"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            secrets = [v for v in container["env"] if "secretKeyRef" in v.get("valueFrom", {})]
            assert {v["name"] for v in secrets} >= {f"{prefix}DATABASE_URL", f"{prefix}INTERNAL_TOKEN_SECRET"}


def test_services_select_pods_and_only_the_gateway_is_reachable_from_outside() -> None:
    pod_labels = [doc["spec"]["template"]["metadata"]["labels"] for doc in of_kind("Deployment")]
    for service in of_kind("Service"):
        selector = service["spec"]["selector"]
        assert any(selector.items() <= labels.items() for labels in pod_labels), names(service)
    (ingress,) = of_kind("Ingress")
    backends = [
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends == ["gateway-api"]
    policies = {doc["metadata"]["name"]: doc for doc in of_kind("NetworkPolicy")}
    assert policies["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    from_ingress_controller = [
        doc
        for doc in policies.values()
        for rule in doc["spec"].get("ingress", [])
        for peer in rule.get("from", [])
        if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "ingress-nginx"
    ]
    assert [
        doc["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for doc in from_ingress_controller
    ] == ["gateway"]
