"""The applying stage: a ``Plan`` -> API calls (the last step of the pipeline).

    manifest -> models -> live snapshot -> changes -> plan -> executor

``executor`` is the only writer to the API: it runs the plan's changes in dependency waves,
resolving references to earlier results; ``recovery`` settles ambiguous writes by re-reading;
``journal`` records each call as it is made; ``workspace`` holds ``.provisioner/`` and the lock
that keeps two applies apart; ``release`` is the one irreversible operation, kept out of apply.
"""
