"""The manifest stage: manifest files -> ``Desired`` (the first step of the pipeline).

    manifest -> models -> live snapshot -> changes -> plan -> executor

Offline: YAML is loaded with every position kept (``loader``, ``fastyaml``, ``positions``,
``yaml_errors``, ``duplicate_keys``), overlays and var-files applied (``overlay``), ``${env:...}``
recorded (``envref``), each file validated against the pydantic ``models`` with located errors
(``pydantic_errors``), and the files merged and cross-checked into one ``Desired`` account per
account (``desired``). ``schema`` publishes the JSON Schema; ``fmt`` rewrites manifests.
Nothing here talks to the API.
"""
