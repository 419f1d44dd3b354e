"""The data directory: CLI verbs never make one, `heron init` and `heron serve` do, and the
CLI finds it from --data, HERON_DATA, the bootstrap file, then ./heron-data."""

import os
import subprocess
from pathlib import Path

import pytest

from conftest import HERON, free_offset

VERBS = [
    ("domain", "list"),
    ("domain", "add", "example.test"),
    ("user", "list", "example.test"),
    ("user", "add", "a@example.test", "--password", "Secret123x"),
    ("alias", "add", "x@example.test", "a@example.test"),
    ("settings", "list"),
    ("settings", "set", "pop.command_timeout", "45"),
    ("spool", "list"),
    ("import", "a@example.test", "/dev/null"),
    ("dkim", "show", "example.test"),
]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("HERON_DATA", "HERON_CONFIG")}
    # No test may read the machine's /etc/heron/heron.toml: point at a file that is absent
    # only where a test says so.
    env.update(extra)
    return env


def run(args, cwd=None, env=None, stdin=None):
    return subprocess.run([HERON, *map(str, args)], capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=env or clean_env(), input=stdin,
                          **({} if stdin is not None else {"stdin": subprocess.DEVNULL}))


def no_data_dir_message(path):
    return (f"no Heron data directory at {path} "
            "(start `heron serve` there first, or pass --data)")


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: " ".join(v[:2]))
def test_verbs_never_create_a_missing_data_directory(tmp_path, verb):
    data = tmp_path / "dta"
    r = run(["--data", data, *verb])
    assert r.returncode != 0, r.stdout
    assert no_data_dir_message(data) in r.stderr, r.stderr
    assert not data.exists()


def test_verbs_refuse_a_directory_that_is_not_a_data_directory(tmp_path):
    data = tmp_path / "somewhere"
    data.mkdir()
    r = run(["--data", data, "domain", "add", "example.test"])
    assert r.returncode != 0
    assert no_data_dir_message(data) in r.stderr, r.stderr
    assert list(data.iterdir()) == []


def test_init_makes_a_data_directory_once(tmp_path):
    data = tmp_path / "new"
    r = run(["--data", data, "init"])
    assert r.returncode == 0, r.stderr
    assert str(data) in r.stdout
    assert run(["--data", data, "domain", "add", "example.test"]).returncode == 0
    r = run(["--data", data, "init"])
    assert r.returncode == 0, r.stderr
    assert "already" in r.stdout
    assert "example.test" in run(["--data", data, "domain", "list"]).stdout


def test_data_directory_precedence(tmp_path):
    """--data, then HERON_DATA, then the bootstrap file, then ./heron-data."""
    work = tmp_path / "work"
    work.mkdir()
    dirs = {name: tmp_path / name for name in ("flag", "env", "file")}
    dirs["cwd"] = work / "heron-data"
    for name, d in dirs.items():
        assert run(["--data", d, "init"]).returncode == 0
        assert run(["--data", d, "domain", "add", f"{name}.test"]).returncode == 0
    config = tmp_path / "heron.toml"
    config.write_text(f'data = "{dirs["file"]}"\n')

    def domains(args, **env):
        r = run([*args, "domain", "list"], cwd=work, env=clean_env(**env))
        assert r.returncode == 0, r.stderr
        return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]

    everything = {"HERON_DATA": str(dirs["env"]), "HERON_CONFIG": str(config)}
    assert domains(["--data", dirs["flag"]], **everything) == ["flag.test"]
    assert domains([], **everything) == ["env.test"]
    assert domains([], HERON_CONFIG=str(config)) == ["file.test"]
    (tmp_path / "empty.toml").write_text("")
    assert domains([], HERON_CONFIG=str(tmp_path / "empty.toml")) == ["cwd.test"]


def test_bootstrap_file_relative_path_and_errors(tmp_path):
    etc = tmp_path / "etc"
    etc.mkdir()
    assert run(["--data", etc / "mail", "init"]).returncode == 0
    config = etc / "heron.toml"
    config.write_text('data = "mail"\n')
    r = run(["domain", "add", "rel.test"], cwd=tmp_path, env=clean_env(HERON_CONFIG=str(config)))
    assert r.returncode == 0, r.stderr
    assert "rel.test" in run(["--data", etc / "mail", "domain", "list"]).stdout

    config.write_text('dta = "mail"\n')
    r = run(["domain", "list"], cwd=tmp_path, env=clean_env(HERON_CONFIG=str(config)))
    assert r.returncode != 0 and str(config) in r.stderr and "dta" in r.stderr, r.stderr

    missing = etc / "missing.toml"
    r = run(["domain", "list"], cwd=tmp_path, env=clean_env(HERON_CONFIG=str(missing)))
    assert r.returncode != 0 and str(missing) in r.stderr, r.stderr


def test_help_explains_where_the_data_directory_is(tmp_path):
    r = run(["--help"], cwd=tmp_path)
    assert r.returncode == 0
    for needle in ("--data", "HERON_DATA", "/etc/heron/heron.toml", "HERON_CONFIG",
                   "./heron-data", "heron init"):
        assert needle in r.stdout, (needle, r.stdout)



@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run heron as another user")
def test_a_data_directory_this_user_cannot_write_says_permission_denied_once():
    import shutil
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="heron-perm-", dir="/tmp"))
    try:
        base.chmod(0o755)
        binary = base / "heron"
        shutil.copy(HERON, binary)
        binary.chmod(0o755)
        owned = base / "data"
        assert run(["--data", owned, "init"]).returncode == 0
        for p in [owned, *owned.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(binary)]
        for args in (["--data", owned, "domain", "add", "x.test"],
                     ["--data", owned, "serve", "--port-offset", str(free_offset())],
                     ["--data", base / "new", "init"]):
            r = subprocess.run(nobody + [str(a) for a in args], capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL, env=clean_env())
            assert r.returncode != 0, r
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and "ermission denied" in lines[0], r.stderr
            assert lines[0].count(str(args[1])) == 1, r.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)
