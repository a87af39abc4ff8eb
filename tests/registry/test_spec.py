import asyncio
from pathlib import Path

import pytest

from servelib.errors import ModelLoadError
from servelib.registry import Repository
from servelib.registry.spec import parse_config, parse_document, parse_spec
from tests.registry.helpers import add_version, write_json


def test_full_spec_parses():
    spec = parse_spec({
        "outputs": ["prediction"], "inputs": {"amount": "double", "city": "string"},
        "partitioning": {"field": "city", "models": {"berlin": "b"}, "fallback": "all"},
        "features": {"groups": []}, "logging": {"sample_rate": 0.1},
        "record": {"owner": "ana", "metrics": {"auc": 0.9}},
    }, "serving.json")
    assert spec.outputs == ("prediction",) and spec.inputs["city"] == "string"
    assert spec.partitioning.models == {"berlin": "b"} and spec.partitioning.fallback == "all"
    assert spec.features == {"groups": []} and spec.record["owner"] == "ana"


@pytest.mark.parametrize("data, key", [
    ({"output": ["x"]}, "'output'"),
    ({"outputs": "prediction"}, "'outputs'"),
    ({"inputs": {"amount": "decimal"}}, "'inputs.amount'"),
    ({"inputs": ["amount"]}, "'inputs'"),
    ({"logging": {"sample_rate": 2}}, "'logging.sample_rate'"),
    ({"features": 3}, "'features'"),
    ({"record": {"author": "x"}}, "'record.author'"),
    ({"partitioning": {"models": {"a": "a"}}}, "'partitioning.field'"),
    ({"partitioning": {"field": "city", "models": {}}}, "'partitioning.models'"),
    ({"partitioning": {"field": "city", "models": {"a": "../x"}}}, "'partitioning.models.a'"),
    ({"partitioning": {"field": "city", "models": {"a": "a"}, "fallback": "/x"}},
     "'partitioning.fallback'"),
])
def test_spec_errors_name_the_key(data, key):
    with pytest.raises(ModelLoadError, match=key) as info:
        parse_spec(data, "/repo/m/1/serving.json")
    assert "serving.json" in str(info.value)


@pytest.mark.parametrize("data, key", [
    ({"aliases": {"production": {"1": -1}}}, "'aliases.production.1'"),
    ({"aliases": {"production": {"1": 0}}}, "'aliases.production'"),
    ({"aliases": {"canary": ["1"]}}, "'aliases.canary'"),
    ({"aliases": {"../x": "1"}}, "'aliases.../x'"),
    ({"default": "a/b"}, "'default'"),
    ({"splits": {}}, "'splits'"),
])
def test_model_file_errors_name_the_key(data, key):
    with pytest.raises(ModelLoadError, match=key):
        parse_config(data, "model.json")


def test_yaml_and_bad_documents():
    assert parse_document("outputs: [prediction]\n", "serving.yaml") == {"outputs": ["prediction"]}
    assert parse_document("", "serving.yaml") == {}
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        parse_document("{", "serving.json")
    with pytest.raises(ModelLoadError, match="not valid YAML"):
        parse_document("a: [", "serving.yaml")
    with pytest.raises(ModelLoadError, match="mapping"):
        parse_document("[1]", "serving.json")


@pytest.mark.parametrize("spec, key", [
    ({"inputs": {"amnt": "double"}}, "'inputs.amnt'"),
    ({"outputs": ["prob"]}, "'outputs'"),
])
def test_spec_is_checked_against_the_pipeline(tmp_path: Path, spec, key):
    add_version(tmp_path, "demo", "1", spec=spec)
    with pytest.raises(ModelLoadError, match=key):
        Repository(str(tmp_path)).load("demo", "1")


def test_no_spec_means_defaults(tmp_path: Path):
    add_version(tmp_path, "demo", "1")
    model = Repository(str(tmp_path)).load("demo", "1")
    assert model.default_outputs() == tuple(model.main.output_columns())
    assert model.memory_bytes > 0


def test_yaml_spec_file(tmp_path: Path):
    add_version(tmp_path, "demo", "1")
    (tmp_path / "demo" / "1" / "serving.yaml").write_text("outputs: [prediction]\n")
    write_json(tmp_path / "demo" / "model.json", {"aliases": {"production": "1"}})
    repo = Repository(str(tmp_path))
    assert repo.load("demo", "1").default_outputs() == ("prediction",)
    assert asyncio.run(asyncio.to_thread(repo.view, "demo")).resolve("production") == "1"


def test_repository_by_uri(tmp_path: Path):
    add_version(tmp_path, "demo", "1", spec={"outputs": ["prediction"]})
    repo = Repository(tmp_path.as_uri())  # file:///...: the pyarrow.fs path remote stores take
    assert repo.models() == ["demo"]
    model = repo.load("demo", "1")
    assert model.main.score_instance({"amount": 980.0, "age": 19.0, "city": "berlin"})[
        "prediction"] == 1.0
