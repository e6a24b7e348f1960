import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlcourse_keras.course import records


def test_record_metric_prints_and_appends_json(monkeypatch, tmp_path, capsys):
    path = tmp_path / "records.jsonl"
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(path))
    entry = records.record_metric("accuracy", np.float32(0.981), target=0.97)
    records.record_metric("loss", 0.5, target=0.1, goal="min", unit="nats")
    out = capsys.readouterr().out
    assert "accuracy = 0.981" in out and "met" in out
    assert "NOT met" in out  # the loss misses its target
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["name"] for r in lines] == ["accuracy", "loss"]
    assert lines[0]["met"] is True and lines[1]["met"] is False
    assert entry["value"] == pytest.approx(0.981, abs=1e-6)


def test_record_metric_without_runner_only_prints(monkeypatch, capsys):
    monkeypatch.delenv("DLCOURSE_RECORD_FILE", raising=False)
    records.record_metric("x", 3)
    assert "[metric] x = 3" in capsys.readouterr().out


def test_target_met_handles_nan_and_goals():
    assert records.target_met(float("nan"), 0.5) is False
    assert records.target_met(0.4, 0.5, "min") is True
    assert records.target_met(0.4, None) is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="", value=1), "name=''"),
    (dict(name="a", value="high"), "value='high'"),
    (dict(name="a", value=1, goal="up"), "goal='up'"),
    (dict(name="a", value=1, target="x"), "target='x'"),
])
def test_record_metric_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        records.record_metric(**kwargs)


def test_record_figure_saves_only_under_the_runner(monkeypatch, tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    monkeypatch.delenv("DLCOURSE_FIGURE_DIR", raising=False)
    assert records.record_figure(fig, "line") is None
    monkeypatch.setenv("DLCOURSE_FIGURE_DIR", str(tmp_path / "figs"))
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(tmp_path / "r.jsonl"))
    path = records.record_figure(fig, "line", "A line")
    assert path.endswith("line.png") and (tmp_path / "figs" / "line.png").stat().st_size > 0
    record = json.loads((tmp_path / "r.jsonl").read_text())
    assert record["kind"] == "figure" and record["title"] == "A line"
    with pytest.raises(ValueError, match="name='bad name'"):
        records.record_figure(fig, "bad name")
    with pytest.raises(TypeError, match="matplotlib Figure"):
        records.record_figure("not a figure", "x")
    plt.close(fig)


def test_a_target_can_differ_per_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(tmp_path / "r.jsonl"))
    targets = {"smoke": 0.5, "full": 0.9}
    monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    smoke = records.record_metric("acc", 0.7, target=targets, quiet=True)
    monkeypatch.setenv("DLCOURSE_PROFILE", "full")
    full = records.record_metric("acc", 0.7, target=targets, quiet=True)
    only_full = records.record_metric("acc", 0.7, target={"full": 0.6}, quiet=True)
    assert (smoke["target"], smoke["met"], smoke["profile"]) == (0.5, True, "smoke")
    assert (full["target"], full["met"], full["profile"]) == (0.9, False, "full")
    assert full["targets"] == targets and only_full["met"] is True
    monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    untargeted = records.record_metric("acc", 0.7, target={"full": 0.6}, quiet=True)
    assert untargeted["target"] is None and untargeted["met"] is None


def test_nonfinite_values_are_null_with_a_flag_and_never_meet_a_target(monkeypatch, tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(path))
    nan = records.record_metric("loss", np.float32("nan"), target=1.0, goal="min")
    inf = records.record_metric("score", float("inf"), target=1.0)
    ninf = records.record_metric("log_lik", float("-inf"))
    assert "loss = nan" in capsys.readouterr().out
    assert (nan["value"], nan["nonfinite"], nan["met"]) == (None, "nan", False)
    assert (inf["value"], inf["nonfinite"], inf["met"]) == (None, "inf", False)
    assert (ninf["nonfinite"], ninf["met"]) == ("-inf", None)

    def refuse(name):
        raise ValueError(name)
    lines = [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]
    assert [r["value"] for r in lines] == [None, None, None]
    assert records.target_met(float("inf"), 0.5) is False
    assert records.target_met(float("-inf"), 0.5, "min") is False


@pytest.mark.parametrize("target, message", [
    (float("nan"), "target=nan"),
    (float("inf"), "target=inf"),
    ({"quick": 0.5}, "'quick'"),
    ({"full": "high"}, "'high'"),
    ({"smoke": float("nan")}, "nan"),
    ({}, "target={}"),
])
def test_record_metric_rejects_bad_targets(target, message):
    with pytest.raises(ValueError, match=message):
        records.record_metric("a", 1.0, target=target)


@pytest.mark.parametrize("value, shown", [
    ("0.5", "value='0.5'"),
    (True, "value=True"),
    (np.bool_(True), "value=np.True_|value=True"),
    (b"1", "value=b'1'"),
    (np.array([0.5, 0.6]), "value=array"),
    (None, "value=None"),
])
def test_record_metric_refuses_text_and_booleans(monkeypatch, tmp_path, value, shown):
    path = tmp_path / "r.jsonl"
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(path))
    with pytest.raises(ValueError, match=shown) as info:
        records.record_metric("m", value, target=0.5)
    assert "'m'" in str(info.value) and "number" in str(info.value)  # the metric and what is allowed
    assert not path.exists()  # nothing was recorded


@pytest.mark.parametrize("target", ["0.5", True, {"smoke": "0.5"}, {"full": False}])
def test_record_metric_refuses_text_and_boolean_targets(target):
    with pytest.raises(ValueError, match="target"):
        records.record_metric("m", 0.7, target=target)


def test_record_metric_takes_numpy_scalars_and_zero_d_arrays(monkeypatch, tmp_path):
    monkeypatch.setenv("DLCOURSE_RECORD_FILE", str(tmp_path / "r.jsonl"))
    for value in (np.float32(0.75), np.int64(3), np.array(0.25), 7, 0.5):
        entry = records.record_metric("m", value, target=np.float64(0.1), quiet=True)
        assert entry["value"] == pytest.approx(float(value)) and entry["met"] is True
    nan = records.record_metric("m", np.array(float("nan")), quiet=True)
    assert nan["value"] is None and nan["nonfinite"] == "nan"
