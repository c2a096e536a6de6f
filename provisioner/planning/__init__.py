"""The planning stage: live snapshot + ``Desired`` -> changes -> ``Plan``.

    manifest -> models -> live snapshot -> changes -> plan -> executor

``engine`` runs the pipeline; each resource kind (``provisioner.resources``) reads the live
snapshot and plans its changes, compared with ``diff``; ``planner`` orders them into a ``plan``.
Around it: ``safety`` thresholds, ``targeting`` (``--target``), ``routing`` impact, ``outside``
(drift vs PR), ``dependencies`` (the executor's waves), ``graph`` (DOT), and saved plans:
``planfile`` (the contract), ``planbasis`` (staleness), ``plancheck`` (safety re-derived),
``planseal`` (integrity).
"""
