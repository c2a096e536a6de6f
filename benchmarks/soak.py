"""Soak: the convergence property of ``tests/test_convergence_property.py``, many more times.

    python benchmarks/soak.py [--examples 1000] [--parallelism 1] [--seed 0]

Each trial draws a manifest, legacy objects and a fault profile (503s, lost answers, a rate
limit), applies under the faults, applies once more without, and checks: an empty next plan,
no duplicate identity, every object outside the manifest untouched (unless pruned), no emulator
crash, no exception other than a ``ProvisionerError``. Nothing stops at a failure: every failed
trial is counted and the first few are printed. ``--parallelism`` above 1 runs reads and
changes concurrently (not reproducible: the fault draws then depend on thread timing).

Also prints how many bad inputs the test suite throws at the manifest loader: the files of
``tests/data/invalid/``, the cases of ``tests/data/invalid_dirs/`` and the fuzz examples.
Exit status 1 when any trial failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import test_convergence_property as prop  # noqa: E402
from tests import test_fuzz_loader as fuzz  # noqa: E402


def bad_inputs() -> dict[str, int]:
    """The loader's bad inputs: invalid files, invalid folders, fuzz examples per run."""
    data = ROOT / "tests" / "data"
    fuzz_tests = [f for name, f in vars(fuzz).items()
                  if name.startswith("test_") and hasattr(f, "hypothesis")]
    examples = sum(f._hypothesis_internal_use_settings.max_examples for f in fuzz_tests)
    return {"invalid files": len(list((data / "invalid").glob("*.yaml"))),
            "invalid folders": len([d for d in (data / "invalid_dirs").iterdir() if d.is_dir()]),
            "fuzz examples": examples}


def soak(examples: int, parallelism: int, start: int) -> tuple[Counter[str], list[str]]:
    totals: Counter[str] = Counter()
    failures: list[str] = []

    @seed(start)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(prop.scenarios())
    def trial(scenario: prop.Scenario) -> None:
        totals["trials"] += 1
        try:
            with tempfile.TemporaryDirectory() as folder:
                result = prop.run_trial(scenario, Path(folder), parallelism)
        except Exception:  # not a ProvisionerError: a traceback a user would see
            totals["unexpected exceptions"] += 1
            failures.append(f"{scenario!r}\n{traceback.format_exc()}")
            return
        count(totals, scenario, result)
        if result.problems:
            failures.append(f"{scenario!r}\n  " + "\n  ".join(result.problems))

    trial()
    return totals, failures


def count(totals: Counter[str], scenario: prop.Scenario, result: prop.Trial) -> None:
    totals.update({f"faults: {k}": v for k, v in result.faults.items()})
    totals["write calls recovered (adopted or re-sent)"] += result.recovered
    totals["faulty applies ended by a ProvisionerError"] += bool(result.first_error)
    totals["faulty applies with failed changes"] += bool(result.failed_steps)
    totals["duplicates found"] += len(result.duplicates)
    totals["non-converged runs"] += not result.converged
    totals["runs touching an unmanaged object"] += any(
        p.startswith("unmanaged") for p in result.problems)
    totals["emulator crashes"] += sum(p.startswith("emulator crash") for p in result.problems)
    totals["failed trials"] += bool(result.problems)
    totals["with a sub-account"] += "subaccounts" in scenario.manifest
    totals["with a prune policy"] += bool(scenario.prune)
    totals["faulty apply of a saved plan"] += scenario.saved
    totals["with a rate limit"] += scenario.profile.rate_limit is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.getLogger().addHandler(logging.NullHandler())  # silence, but crashes still count
    started = time.perf_counter()
    totals, failures = soak(args.examples, args.parallelism, args.seed)
    wall = time.perf_counter() - started
    rows: list[tuple[str, Any]] = sorted(totals.items())
    rows += [(f"bad loader inputs: {k}", v) for k, v in bad_inputs().items()]
    rows.append(("wall time (s)", f"{wall:.1f}"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for failure in failures[:5]:
        print("\nFAILED TRIAL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
