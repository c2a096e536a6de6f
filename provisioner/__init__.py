"""callr-provisioner: manage CALLR accounts as code.

The library API follows the pipeline of ``provisioner.planning.engine``: ``load`` manifests into a
``Desired`` state, ``build_plan`` against a ``CallrClient``, then ``apply_plan``.
"""

from provisioner.api import CallrClient, Credentials
from provisioner.errors import ManifestError, PlanError, ProvisionerError
from provisioner.manifest.desired import Desired, load
from provisioner.planning.engine import apply_plan, build_plan, plan_paths
from provisioner.planning.plan import Plan

__all__ = [
    "CallrClient",
    "Credentials",
    "Desired",
    "ManifestError",
    "Plan",
    "PlanError",
    "ProvisionerError",
    "apply_plan",
    "build_plan",
    "load",
    "plan_paths",
]
