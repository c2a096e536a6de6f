"""The ``provisioner`` command: parse flags, call the library, render, choose the exit code.

Exit codes: 0 success (for ``plan --detailed-exitcode``: no changes), 1 error, 2 changes
present (``plan --detailed-exitcode`` only), 3 unsafe plan (``plan`` and ``apply``: it exceeds a
``policy.safety`` threshold; it is shown in full, nothing is applied, ``--force`` accepts it),
130 and 143 an apply interrupted by SIGINT or SIGTERM (the changes in flight finish first).
Every other ProvisionerError becomes a message on stderr and exit 1, never a traceback.
"""

from provisioner.cli import doctor, migrating, planning, saved, tools
from provisioner.cli.app import main

__all__ = ["doctor", "main", "migrating", "planning", "saved", "tools"]
