import asyncio
from pathlib import Path

import pytest

from servelib.errors import ModelNotFound
from servelib.registry import Registry, Repository
from servelib.registry.names import check_name
from tests.registry.helpers import add_version

BAD = ["..", "../demo", "demo/1", "a\\b", "/etc", "a\x00b", "s3://bucket/x", ".hidden", "",
       "x" * 200, "~root", None, 3]


@pytest.mark.parametrize("name", BAD)
def test_bad_names_are_refused(name):
    with pytest.raises(ModelNotFound, match="invalid model name"):
        check_name(name)


@pytest.mark.parametrize("name", ["demo", "fraud_v2", "gbt-eu.1", "3"])
def test_good_names(name):
    assert check_name(name) == name


def test_a_request_cannot_reach_outside_the_repository(tmp_path: Path):
    repo = tmp_path / "repo"
    add_version(repo, "demo", "1")
    add_version(tmp_path, "outside", "1")  # a real model right beside the repository
    registry = Registry(Repository(str(repo)))

    async def attempts() -> None:
        for name, version in [("../outside", None), ("..", "outside"), ("demo", "../../outside/1"),
                              (str(tmp_path / "outside"), None), ("demo", "/1")]:
            with pytest.raises(ModelNotFound):
                await registry.get(name, version)
        await registry.close()

    asyncio.run(attempts())
    assert registry.states() == [] or all(s.name == "demo" for s in registry.states())
