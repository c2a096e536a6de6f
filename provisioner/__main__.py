"""``python -m provisioner``: the same command, under the same name (its shell completion
reads ``_PROVISIONER_COMPLETE``)."""

from provisioner.cli import main

main(prog_name="provisioner")
