import pytest

from servelib.errors import ModelNotFound
from servelib.registry.routing import ModelView, pick_arm, sort_versions, stable_fraction
from servelib.registry.spec import ModelConfig


def view(versions, **config) -> ModelView:
    return ModelView("m", sort_versions(versions), ModelConfig(**config))


def test_default_version():
    assert view(["1", "9", "10"]).resolve(None) == "10"  # numeric order, not text order
    assert view(["1", "2"], aliases={"production": "1"}).resolve(None) == "1"
    assert view(["1", "2"], default="2", aliases={"production": "1"}).resolve(None) == "2"
    assert view(["1", "2"], default="canary", aliases={"canary": "1"}).resolve(None) == "1"


def test_unknown_version_or_alias():
    with pytest.raises(ModelNotFound, match="no version '3'"):
        view(["1"]).resolve("3")
    with pytest.raises(ModelNotFound, match="alias 'production'"):
        view(["1"], aliases={"production": "2"}).resolve("production")
    with pytest.raises(ModelNotFound, match="no versions"):
        view([]).resolve(None)


def test_split_is_sticky_per_key_and_follows_the_weights():
    v = view(["1", "2"], aliases={"canary": {"1": 90, "2": 10}})
    arms = [v.resolve("canary", f"user-{i}") for i in range(20000)]
    assert arms == [v.resolve("canary", f"user-{i}") for i in range(20000)]  # sticky
    share = arms.count("2") / len(arms)
    assert 0.09 < share < 0.11  # 10% +- 5 standard deviations (0.2%)


def test_stable_hash_is_the_same_in_every_process():
    # BLAKE2b of the bytes, not Python's salted hash(): pinned so a change is noticed
    assert stable_fraction("m", "canary", "user-1") == pytest.approx(0.1735076391274889)
    assert stable_fraction("m", "canary", "user-1") == stable_fraction("m", "canary", "user-1")
    assert stable_fraction("m", "canary", "user-1") != stable_fraction("m2", "canary", "user-1")


def test_pick_arm_edges():
    assert pick_arm({"1": 1, "2": 0}, 0.999999) == "1"
    assert pick_arm({"1": 1, "2": 1}, 0.0) == "1" and pick_arm({"1": 1, "2": 1}, 0.5) == "2"
    assert view(["1", "2"], aliases={"c": {"1": 0, "2": 5}}).targets() == {"2"}
