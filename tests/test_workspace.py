"""The work folder and the lock, in-process (the two-process runs are in tests/e2e/test_lock.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provisioner.applying.workspace import GITIGNORE, WORK_DIR, LockHeld, ensure_dir, locked


def test_a_created_work_folder_ignores_everything_in_it(tmp_path: Path) -> None:
    ensure_dir(tmp_path / WORK_DIR / "journal")
    assert (tmp_path / WORK_DIR / ".gitignore").read_text(encoding="utf-8") == GITIGNORE
    assert GITIGNORE.splitlines()[-1] == "*"


def test_an_existing_work_folder_is_left_as_it_is(tmp_path: Path) -> None:
    (tmp_path / WORK_DIR).mkdir()
    ensure_dir(tmp_path / WORK_DIR / "journal")
    assert not (tmp_path / WORK_DIR / ".gitignore").exists()


def test_other_folders_get_no_gitignore(tmp_path: Path) -> None:
    ensure_dir(tmp_path / "state" / "deep")
    assert not list(tmp_path.rglob(".gitignore"))


def test_the_lock_names_its_holder_and_is_released(tmp_path: Path) -> None:
    path = tmp_path / WORK_DIR / "apply.lock"
    with locked([path, path], "testing"):  # the same file twice is taken once
        with pytest.raises(LockHeld) as refused, locked([path], "testing"):
            pass
        assert f"PID {os.getpid()}" in str(refused.value)
        assert str(path) in str(refused.value)
    with locked([path], "testing"):
        pass
    assert path.read_text(encoding="utf-8") == ""  # no holder written once released
