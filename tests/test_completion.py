"""Shell completion, as the README documents it: click's ``_PROVISIONER_COMPLETE``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def complete(**env: str) -> str:
    done = subprocess.run([sys.executable, "-m", "provisioner"], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_documented_completion_scripts(shell: str) -> None:
    assert f"_PROVISIONER_COMPLETE={shell}_source provisioner" in README.read_text()
    script = complete(_PROVISIONER_COMPLETE=f"{shell}_source")
    assert "_provisioner_completion" in script


def test_commands_and_options_complete() -> None:
    words = complete(_PROVISIONER_COMPLETE="bash_complete", COMP_WORDS="provisioner pl",
                     COMP_CWORD="1")
    assert "plain,plan" in words.splitlines()
    options = complete(_PROVISIONER_COMPLETE="bash_complete", COMP_WORDS="provisioner fmt --ch",
                       COMP_CWORD="2")
    assert "plain,--check" in options.splitlines()
