"""The tool's working folder (``.provisioner/``) and the lock that keeps two runs apart.

``.provisioner/`` holds the sandbox state (which holds secrets, as the real service does) and
the apply journals. When the tool creates it, it writes a ``.gitignore`` of ``*`` in it, so
``git add -A`` never commits them.

Two applies at once against the same account each see what the other has not made yet, and
both create it: the lock prevents that for applies from the same directory (and for every run
that writes one sandbox state). It is an ``fcntl.flock`` on a file whose content names the
holder (PID, command, start time); the kernel releases it when the holder exits, however it
exits, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from provisioner.errors import ProvisionerError

WORK_DIR = Path(".provisioner")
"""The tool's folder, relative to the current directory."""
APPLY_LOCK = WORK_DIR / "apply.lock"
"""Held by every run that writes to an account from this directory."""
GITIGNORE = "# Written by callr-provisioner: sandbox state and journals hold secrets.\n*\n"


class LockHeld(ProvisionerError):
    """Another run holds the lock (exit 1, nothing sent)."""


def ensure_dir(directory: Path) -> Path:
    """Create ``directory`` (and its parents); a ``.provisioner`` folder created here gets a
    ``.gitignore`` of ``*``. A folder that already exists is left as it is."""
    created = [p for p in (directory, *directory.parents) if p.name == WORK_DIR.name
               and not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    for folder in created:
        ignore = folder / ".gitignore"
        with contextlib.suppress(FileExistsError), open(ignore, "x", encoding="utf-8") as out:
            out.write(GITIGNORE)
    return directory


def sandbox_lock(state: Path) -> Path:
    """The lock of a sandbox state file (beside it: another directory may share the state)."""
    return state.with_name(state.name + ".run.lock")


@contextlib.contextmanager
def locked(paths: Sequence[Path], purpose: str) -> Iterator[None]:
    """Hold every lock of ``paths`` (the same file once) or raise LockHeld at once, naming the
    holder; ``purpose`` says what is protected (in the message)."""
    unique = list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))
    with contextlib.ExitStack() as stack:
        for path in unique:
            stack.enter_context(_lock(path, purpose))
        yield


@contextlib.contextmanager
def _lock(path: Path, purpose: str) -> Iterator[None]:
    try:
        ensure_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise LockHeld(f"cannot create the lock file {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(
                f"another provisioner run ({_holder(fd)}) holds {path}: {purpose}. Wait for "
                "it to finish and run again (two at once would both create what is missing)"
            ) from None
        os.ftruncate(fd, 0)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # The program and its command only: other arguments may hold values (--var).
        command = " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])
        os.pwrite(fd, f"{os.getpid()}\n{stamp}\n{command}\n".encode("utf-8", "replace"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """``PID 123, since ..., provisioner apply``: what the holder wrote (it may not have written
    it yet: then just an unknown PID)."""
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    pid, stamp, command = [*text.splitlines(), "", "", ""][:3]
    if not pid.strip().isdigit():
        return "PID unknown"
    parts = [f"PID {pid.strip()}"]
    if stamp:
        parts.append(f"since {stamp}")
    if command:
        parts.append(f"`{command}`")
    return ", ".join(parts)
