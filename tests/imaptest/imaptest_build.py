"""Dovecot's imaptest, built from its source against Debian's dovecot-dev and cached.

Shared by the black-box conformance test (tests/blackbox/test_imaptest_suite.py) and the IMAP
bench (bench/imap). The build is kept under ~/.cache/heron-bench/imaptest (or
$XDG_CACHE_HOME/heron-bench/imaptest), one directory per source (tarball and patches, by their
SHA-256) and Dovecot version, so only the first run builds.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Callable

# This directory: the source tarball and the patches to apply to it.
SOURCE_DIR = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "heron-bench" / "imaptest"
# Debian packages the build needs (scripts/test.sh installs them too).
PACKAGES = ("dovecot-dev", "build-essential", "autoconf", "automake", "libtool", "pkg-config", "libssl-dev")
DOVECOT_LIB = Path("/usr/lib/dovecot")


class ImaptestError(Exception):
    """imaptest could not be found, built or run."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env() -> dict[str, str]:
    """The environment imaptest runs in: it links against Dovecot's private libraries."""
    return dict(os.environ, LD_LIBRARY_PATH=str(DOVECOT_LIB))


def works(binary: Path) -> bool:
    try:
        p = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=30, env=env())
    except (OSError, subprocess.TimeoutExpired):
        return False
    return p.returncode == 0 and "imaptest" in p.stdout


def dovecot_tag() -> str:
    """Dovecot's version, as a directory name (imaptest links against its libdovecot)."""
    try:
        out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    v = out.split()
    return "dovecot-" + re.sub(r"[^0-9A-Za-z.]", "_", v[0] if v else "unknown")


def sources(src: Path) -> tuple[Path, list[Path]]:
    """The tarball (exactly one imaptest*.tar.gz) and the patches (*.patch, sorted) in `src`."""
    tarballs = sorted(src.glob("imaptest*.tar.gz"))
    if len(tarballs) != 1:
        raise ImaptestError(f"{src}: expected one imaptest*.tar.gz, found {len(tarballs)}")
    return tarballs[0], sorted(src.glob("*.patch"))


def have_build_tools() -> bool:
    return (
        (DOVECOT_LIB / "dovecot-config").exists()
        and Path("/usr/include/openssl/ssl.h").exists()
        and all(shutil.which(t) for t in ("autoreconf", "automake", "libtoolize", "pkg-config", "make", "cc", "patch"))
    )


def install_build_tools() -> None:
    """Install the build packages with apt when one is missing."""
    if have_build_tools():
        return
    log(f"installing the packages imaptest builds with: {' '.join(PACKAGES)}")
    try:
        p = subprocess.run(["apt-get", "install", "-y", *PACKAGES], capture_output=True, text=True,
                           timeout=1800, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ImaptestError(f"apt-get install {' '.join(PACKAGES)}: {e}") from e
    if p.returncode != 0 or not have_build_tools():
        raise ImaptestError(f"apt-get install {' '.join(PACKAGES)} failed:\n{(p.stdout + p.stderr)[-2000:]}")


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


def unpack(tarball: Path, patches: list[Path], work: Path) -> Path:
    """Unpack the source into `work` and apply the patches; returns its top directory."""
    work.mkdir(parents=True)
    with tarfile.open(tarball) as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(work, filter="data")
        else:
            tf.extractall(work)
    tops = [d for d in work.iterdir() if d.is_dir()]
    if len(tops) != 1:
        raise ImaptestError(f"{tarball.name}: expected one top directory, found {[d.name for d in tops]}")
    top = tops[0]
    for patch in patches:
        p = subprocess.run(["patch", "-p1", "-i", str(patch)], cwd=top, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise ImaptestError(f"patch {patch.name} does not apply:\n{p.stdout}{p.stderr}")
    return top


def build(tarball: Path, patches: list[Path], work: Path) -> Path:
    """Unpack, patch and build the source in `work`; returns the binary."""
    install_build_tools()
    top = unpack(tarball, patches, work)
    # configure takes its version from git, or from a `version` file outside a git checkout.
    if not (top / ".git").exists() and not (top / "version").exists():
        (top / "version").write_text("0.0.0-" + top.name.split("-", 1)[-1] + "\n")
    log(f"building imaptest in {top} (autogen.sh, configure --with-dovecot={DOVECOT_LIB}, make)")
    out = work / "build.log"
    jobs = str(os.cpu_count() or 1)
    with open(out, "w") as f:
        for cmd in (["./autogen.sh"], ["./configure", f"--with-dovecot={DOVECOT_LIB}"], ["make", "-j", jobs]):
            f.write(f"$ {' '.join(cmd)}\n")
            f.flush()
            try:
                rc = subprocess.run(cmd, cwd=top, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    timeout=1800).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            if rc != 0:
                raise ImaptestError(f"imaptest build failed at `{' '.join(cmd)}` ({rc}); log {out}:\n{tail(out)}")
    binary = top / "src" / "imaptest"
    if (top / "src" / ".libs" / "imaptest").exists():  # libtool wrapper script
        binary = top / "src" / ".libs" / "imaptest"
    if not works(binary):
        raise ImaptestError(f"the imaptest just built ({binary}) does not run")
    return binary


def cached_or_built(src: Path, scratch: Path) -> tuple[Path, str]:
    """(imaptest binary, what it was built from) for the source in `src`: the cached build for
    it and this Dovecot, else a new build (then cached)."""
    tag = dovecot_tag()
    tarball, patches = sources(src)
    h = hashlib.sha256()
    for f in (tarball, *patches):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    stem = tarball.name.removesuffix(".tar.gz")
    what = " + ".join([tarball.name, *(p.name for p in patches)]) + f", built against {tag}"
    cache = CACHE / f"{stem}-{h.hexdigest()[:12]}-{tag}"
    if works(cache / "imaptest"):
        log(f"imaptest: cached build {cache / 'imaptest'}")
        return cache / "imaptest", what
    built = build(tarball, patches, scratch / "imaptest-build")
    tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copy2(built, tmp / "imaptest")
    (tmp / "source").write_text(what + "\n")
    shutil.rmtree(cache, ignore_errors=True)
    tmp.rename(cache)
    log(f"imaptest: built and cached in {cache}")
    return cache / "imaptest", what


def newest_cached() -> tuple[Path, str]:
    """The newest cached build for this Dovecot, whatever source it came from."""
    tag = dovecot_tag()
    found = sorted(
        (b for b in CACHE.glob(f"*-{tag}/imaptest") if works(b)),
        key=lambda b: b.stat().st_mtime,
    )
    if not found:
        raise ImaptestError(f"no imaptest built for {tag} in {CACHE}")
    binary = found[-1]
    source = binary.parent / "source"
    return binary, source.read_text().strip() if source.exists() else binary.parent.name


def suite_dir(src: Path, work: Path) -> Path:
    """imaptest's scripted tests (src/tests of the source in `src`), unpacked into `work`."""
    tarball, patches = sources(src)
    top = unpack(tarball, patches, work)
    tests = top / "src" / "tests"
    if not (tests / "default.mbox").exists():
        raise ImaptestError(f"{tarball.name}: no src/tests/default.mbox")
    return tests
