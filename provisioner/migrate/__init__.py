"""Moving to the REST API v2: what it cannot manage (``readiness``), and the conversion of legacy
apps to Callr Actions scenarios (``convert``, the ``provisioner migrate`` command)."""
