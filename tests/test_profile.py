import pytest

from dlcourse_keras.course import profile


def test_default_profile_is_full(monkeypatch):
    monkeypatch.delenv("DLCOURSE_PROFILE", raising=False)
    assert profile.get_profile() == "full"
    assert profile.by_profile(smoke=1, full=30) == 30


def test_smoke_profile_picks_smoke_value(monkeypatch):
    monkeypatch.setenv("DLCOURSE_PROFILE", " Smoke ")
    assert profile.is_smoke()
    assert profile.by_profile(smoke=1, full=30) == 1


def test_unknown_profile_is_rejected_with_the_value(monkeypatch):
    monkeypatch.setenv("DLCOURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="DLCOURSE_PROFILE='fast'.*smoke"):
        profile.get_profile()
