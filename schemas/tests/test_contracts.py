"""The event contracts hold together: schemas, examples, generated models, the registry and AsyncAPI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import AwareDatetime, BaseModel, TypeAdapter, ValidationError

from schemas import codegen, registry
from schemas.generated.envelope_v1 import EnvelopeV1
from services.envelope import Envelope

SCHEMAS = codegen.discover()
EVENTS = [schema for schema in SCHEMAS if schema.event_type is not None]
ASYNCAPI_DIR = codegen.SCHEMAS_ROOT / "asyncapi"

# jsonschema checks `date-time` only with an optional package; pydantic's aware-datetime parser stands in.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValidationError)
def _is_aware_datetime(value: object) -> bool:
    if isinstance(value, str):
        TypeAdapter(AwareDatetime).validate_strings(value)
    return True


def load(schema: codegen.SchemaFile) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((codegen.JSONSCHEMA_DIR / schema.source).read_text())
    return document


def validator(schema: codegen.SchemaFile) -> Draft202012Validator:
    return Draft202012Validator(load(schema), format_checker=FORMATS)


def model(schema: codegen.SchemaFile) -> type[BaseModel]:
    if schema.event_type is None:
        return EnvelopeV1
    return registry.model_for(schema.event_type, schema.schema_version)


def ids(schemas: list[codegen.SchemaFile]) -> list[str]:
    return [schema.source.as_posix() for schema in schemas]


def test_the_walking_skeleton_event_and_the_envelope_are_declared() -> None:
    assert ("members.MemberApplied", 1) in registry.known_event_types()
    assert any(schema.source == Path("envelope.v1.json") for schema in SCHEMAS)


@pytest.mark.parametrize("schema", SCHEMAS, ids=ids(SCHEMAS))
def test_every_schema_is_a_well_formed_2020_12_schema_with_examples(schema: codegen.SchemaFile) -> None:
    document = load(schema)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith("/" + schema.source.as_posix())
    assert document["title"] == schema.class_name.rsplit("V", 1)[0]
    assert document["description"]
    assert document["type"] == "object"
    # Producers publish exactly what is declared (personal data cannot slip in); consumers ignore the rest.
    assert document["additionalProperties"] is False
    assert document["examples"]


@pytest.mark.parametrize("schema", SCHEMAS, ids=ids(SCHEMAS))
def test_every_example_validates_against_its_schema(schema: codegen.SchemaFile) -> None:
    check = validator(schema)
    for example in load(schema)["examples"]:
        errors = [error.message for error in check.iter_errors(example)]
        assert errors == []


@pytest.mark.parametrize("schema", SCHEMAS, ids=ids(SCHEMAS))
def test_every_example_parses_with_its_generated_model(schema: codegen.SchemaFile) -> None:
    for example in load(schema)["examples"]:
        parsed = model(schema).model_validate(example)
        # No field of the example was dropped as unknown: the model and the schema name the same fields.
        assert parsed.model_fields_set == set(example)
        assert model(schema).model_validate(parsed.model_dump(mode="json")) == parsed


@pytest.mark.parametrize("schema", EVENTS, ids=ids(EVENTS))
def test_generated_models_ignore_unknown_fields_and_are_frozen(schema: codegen.SchemaFile) -> None:
    example = load(schema)["examples"][0]
    parsed = model(schema).model_validate({**example, "added_in_a_later_minor": 1})
    assert "added_in_a_later_minor" not in parsed.model_dump()
    with pytest.raises(ValidationError):
        parsed.__setattr__(next(iter(example)), None)


def test_the_schema_and_the_model_both_refuse_a_broken_member_applied() -> None:
    schema = next(s for s in EVENTS if s.event_type == "members.MemberApplied")
    good = load(schema)["examples"][0]
    broken = [
        {key: value for key, value in good.items() if key != "member_id"},
        {**good, "category": 12},
        {**good, "person_kind": "robot"},
        {**good, "applied_at": "2025-11-26T09:30:00"},  # no offset: not a UTC instant
        {**good, "member_id": "not-a-uuid"},
    ]
    for data in broken:
        assert list(validator(schema).iter_errors(data)), data
        with pytest.raises(ValidationError):
            model(schema).model_validate(data)
    # A field nobody declared (an e-mail, say) is refused by the producer's contract.
    assert list(validator(schema).iter_errors({**good, "email": "someone@example.org"}))


def test_the_envelope_schema_describes_the_chassis_envelope() -> None:
    envelope_schema = next(s for s in SCHEMAS if s.event_type is None and s.schema_version == 1)
    document = load(envelope_schema)
    assert set(document["properties"]) == set(Envelope.model_fields)
    assert set(document["required"]) == {
        name for name, field in Envelope.model_fields.items() if field.is_required()
    }
    for example in document["examples"]:
        envelope = Envelope.model_validate(example)
        data = registry.parse_data(envelope.event_type, envelope.schema_version, envelope.data)
        assert data.model_dump(mode="json", exclude_none=True) == example["data"]


def test_the_registry_refuses_an_undeclared_event() -> None:
    with pytest.raises(registry.UnknownEventType):
        registry.model_for("members.MemberApplied", 99)
    with pytest.raises(registry.UnknownEventType):
        registry.model_for("members.MemberVanished", 1)
    assert not registry.is_known("members.MemberVanished", 1)
    assert registry.known_event_types() == {(s.event_type, s.schema_version) for s in EVENTS}


def producers() -> set[str]:
    return {schema.source.parts[0] for schema in EVENTS}


def asyncapi(producer: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ASYNCAPI_DIR / f"{producer}.yaml").read_text())
    return document


def test_every_producer_has_an_asyncapi_document_and_every_document_a_producer() -> None:
    assert {path.stem for path in ASYNCAPI_DIR.glob("*.yaml")} == producers()


@pytest.mark.parametrize("producer", sorted(producers()))
def test_the_asyncapi_document_lists_exactly_the_producers_events(producer: str) -> None:
    document = asyncapi(producer)
    assert document["asyncapi"].startswith("3.")
    messages = document["components"]["messages"]
    declared = {(m["x-event-type"], m["x-schema-version"]) for m in messages.values()}
    schemas = {(s.event_type, s.schema_version) for s in EVENTS if s.source.parts[0] == producer}
    assert declared == schemas

    (channel,) = document["channels"].values()
    assert channel["address"] == f"{producer}.events"
    channel_refs = {ref["$ref"] for ref in channel["messages"].values()}
    sent = {
        ref["$ref"].rsplit("/", 1)[1]
        for operation in document["operations"].values()
        if operation["action"] == "send"
        for ref in operation["messages"]
    }
    for key, message in messages.items():
        schema = next(
            s
            for s in EVENTS
            if (s.event_type, s.schema_version) == (message["x-event-type"], message["x-schema-version"])
        )
        assert key == schema.class_name
        assert message["name"] == schema.event_type
        assert f"#/components/messages/{key}" in channel_refs
        assert key in sent
        envelope_ref, event_part = message["payload"]["schema"]["allOf"]
        assert (ASYNCAPI_DIR / envelope_ref["$ref"]).resolve().is_file()
        properties = event_part["properties"]
        assert properties["event_type"] == {"const": schema.event_type}
        assert properties["schema_version"] == {"const": schema.schema_version}
        data_file = (ASYNCAPI_DIR / properties["data"]["$ref"]).resolve()
        assert data_file == (codegen.JSONSCHEMA_DIR / schema.source).resolve()
        trait = document["components"]["messageTraits"][message["traits"][0]["$ref"].rsplit("/", 1)[1]]
        assert "traceparent" in trait["headers"]["properties"]
        assert trait["bindings"]["kafka"]["key"]["type"] == "string"


def test_the_committed_models_match_the_schemas() -> None:
    assert codegen.main(["--check"]) == 0


def test_the_drift_check_sees_a_schema_changed_without_regenerating(tmp_path: Path) -> None:
    changed = tmp_path / "jsonschema"
    shutil.copytree(codegen.JSONSCHEMA_DIR, changed)
    path = changed / "members" / "MemberApplied.v1.json"
    document = json.loads(path.read_text())
    document["properties"]["channel"] = {"type": "string", "description": "How the application arrived."}
    path.write_text(json.dumps(document))
    codegen.generate(tmp_path / "generated", changed)
    drift = codegen.diff_trees(tmp_path / "generated", codegen.GENERATED_DIR)
    assert "+    channel: str | None = None" in drift


def test_the_generator_refuses_a_file_outside_the_layout(tmp_path: Path) -> None:
    (tmp_path / "members").mkdir()
    (tmp_path / "members" / "member_applied.json").write_text("{}")
    with pytest.raises(ValueError, match="expected <producer>/<EventName>"):
        codegen.discover(tmp_path)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("MemberApplied", "member_applied"),
        ("DPAEDeclared", "dpae_declared"),
        ("HireReceived", "hire_received"),
    ],
)
def test_event_names_become_snake_case_module_names(name: str, snake: str) -> None:
    assert codegen.snake_case(name) == snake
