"""The root of one manifest file: ``version`` and one key per resource section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from provisioner.models.apps import AppSpec
from provisioner.models.values import E164, Spec

AppName = str


class ManifestFile(Spec):
    version: Literal[1]
    apps: dict[AppName, AppSpec] = Field(default_factory=dict)
    numbers: dict[E164, AppName | None] = Field(default_factory=dict)
