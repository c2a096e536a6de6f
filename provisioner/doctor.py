"""``provisioner doctor``: a read-only probe of the target account, for a first contact and CI.

It learns which way the API's unconfirmed behaviours turn out on this account: whether the
credentials work, whether each read method of the method table answers or is missing (-32601),
the search page size accepted, whether Login-As into a sub-account works, which app packages on
the account the tool does not know, and how long calls take. Given manifests, it also reads
what their plan would read, so a method those manifests need and the account lacks is named
before any plan is tried.

Nothing is written: only ``read_only`` methods of ``api/methods.py`` are called. A method that
takes an object id is called with a dummy id; any answer but -32601 (an object-not-found error
included) shows the method exists. Write methods are never probed: a plan names a missing one.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.api.methods import METHODS, SEARCH_PAGE_SIZES
from provisioner.errors import AuthError, NotAllowedError, ProvisionerError, RpcError
from provisioner.manifest.desired import Desired
from provisioner.models.apps import PACKAGES

METHOD_NOT_FOUND = -32601

DUMMY_ARGS: dict[str, Any] = {
    "hash": "AAAAAAAA", "id": 0, "did_hash": "AAAAAAAA", "app_hash": "AAAAAAAA",
    "with_numbers": False, "only_available": True, "type": "CALL", "country_code": "FR",
    "area_code_id": 0, "class": "CLASSIC", "quantity": 1, "token": "0", "job_id": "0",
    "categories": None, "filters": {}, "options": {"offset": 0, "quantity": 1},
}
"""Harmless arguments for each parameter name a read method takes (dummy ids: the answer
"not found" still proves the method exists)."""

ARGS_OVERRIDES: dict[str, dict[str, Any]] = {
    "did/areacode.get_list": {"type": None},
    "account/sub.search": {"filters": {"archived": None}},
}


@dataclass(frozen=True)
class Row:
    """One line of the doctor's table."""

    check: str
    result: str
    """ok, missing, refused, failed, skipped or note."""
    detail: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    """Methods that answered -32601 (unknown method)."""
    needed_missing: set[str] = field(default_factory=set)
    """Missing methods the given manifests need."""
    needed_failures: list[str] = field(default_factory=list)
    """Other reasons the given manifests' reads fail."""
    authenticated: bool = False
    timings: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the given manifests can be planned on this account (exit 0)."""
        return self.authenticated and not self.needed_missing and not self.needed_failures

    def add(self, check: str, result: str, detail: str = "") -> None:
        self.rows.append(Row(check, result, detail))


def examine(client: CallrClient, desired: Desired | None = None,
            clock: Callable[[], float] = time.monotonic) -> Report:
    """Probe the account behind ``client``; ``desired``: the manifests to check needs against."""
    report = Report()
    timed = _Timer(report, clock)
    initial_rps = client.max_rps
    try:
        timed(client.system_get_timestamp)
    except AuthError as exc:
        report.add("authentication", "failed", str(exc))
        return report
    except ProvisionerError as exc:
        report.add("authentication", "failed", f"system.get_timestamp: {exc}")
        return report
    report.authenticated = True
    report.add("authentication", "ok", client.credentials.describe())
    apps = _probe_methods(client, report, timed)
    _page_size(client, report)
    _login_as(client, report, timed)
    _packages(apps, report)
    if desired is not None:
        _needs(client, desired, report)
    _rate(client, initial_rps, report)
    _latency(report)
    return report


def _rate(client: CallrClient, initial: float | None, report: Report) -> None:
    cap = f"at most {initial:g} requests/s" if initial else "no rate cap"
    if client.max_rps == initial:
        report.add("rate limit", "ok", f"no HTTP 429 ({cap})")
    else:
        report.add("rate limit", "note", f"HTTP 429 seen: lowered from {cap} to "
                                         f"{client.max_rps:.2g} requests/s")


class _Timer:
    """Calls a function, recording how long it took in the report's timings."""

    def __init__(self, report: Report, clock: Callable[[], float]) -> None:
        self.report = report
        self.clock = clock

    def __call__(self, call: Callable[[], Any]) -> Any:
        start = self.clock()
        try:
            return call()
        finally:
            self.report.timings.append(self.clock() - start)


def _probe_methods(client: CallrClient, report: Report, timed: _Timer) -> list[Any]:
    """One row per read method of the table; the app list (for the package check)."""
    apps: list[Any] = []
    for name, row in METHODS.items():
        if not row.read_only or name == "system.get_timestamp":
            continue
        try:
            result = timed(functools.partial(_probe, client, name))
        except RpcError as exc:
            _refusal(report, name, exc)
            continue
        except ProvisionerError as exc:
            report.add(name, "failed", str(exc))
            continue
        if name == "apps.get_list" and isinstance(result, list):
            apps = result
        report.add(name, "ok", f"[{row.mark}] answers")
    return apps


def _probe(client: CallrClient, name: str) -> Any:
    """Call read method ``name`` with harmless arguments (a search: its first page)."""
    args = {p: DUMMY_ARGS[p] for p in METHODS[name].params} | ARGS_OVERRIDES.get(name, {})
    if name.endswith(".search"):
        return client.search_page(name, args["filters"], 0)
    return client.call(name, **args)


def _refusal(report: Report, name: str, exc: RpcError) -> None:
    mark = METHODS[name].mark
    if exc.code == METHOD_NOT_FOUND:
        report.missing.add(name)
        played = ", ".join(METHODS[name].variants)
        report.add(name, "missing", f"[{mark}] unknown method (-32601)"
                   + (f"; the emulator plays it as {played}" if played else ""))
    elif isinstance(exc, AuthError | NotAllowedError):  # exists, but not for this account
        report.add(name, "refused", f"[{mark}] error {exc.code}: {exc.message}")
    else:  # the method exists: it refused the probe's dummy arguments
        report.add(name, "ok", f"[{mark}] exists (error {exc.code} for a dummy argument)")


def _page_size(client: CallrClient, report: Report) -> None:
    size = client.page_size
    if size == SEARCH_PAGE_SIZES[0]:
        report.add("search page size", "ok", f"{size} accepted")
    else:
        refused = ", ".join(str(s) for s in SEARCH_PAGE_SIZES if s > size)
        report.add("search page size", "note", f"{size} accepted ({refused} refused)")


def _login_as(client: CallrClient, report: Report, timed: _Timer) -> None:
    try:
        subs = timed(lambda: client.account_sub_search(archived=False))
    except ProvisionerError as exc:
        report.add("login-as", "skipped", f"cannot list sub-accounts: {exc}")
        return
    if not subs:
        report.add("login-as", "skipped", "no active sub-account")
        return
    sub = subs[0]
    company = (sub.get("account") or {}).get("company") or "?"
    try:
        timed(lambda: client.as_account(sub["hash"]).apps_get_list(False))
    except ProvisionerError as exc:
        report.add("login-as", "failed", f"into {company} ({sub['hash']}): {exc}")
        return
    report.add("login-as", "ok", f"into {company} ({sub['hash']}), 1 of {len(subs)}")


def _packages(apps: Iterable[Any], report: Report) -> None:
    unknown: dict[str, int] = {}
    for app in apps:
        package = app.get("package") if isinstance(app, dict) else None
        name = package.get("name") if isinstance(package, dict) else package
        if isinstance(name, str) and name not in PACKAGES:
            unknown[name] = unknown.get(name, 0) + 1
    if unknown:
        shown = ", ".join(f"{name} ({count} app{'s' if count > 1 else ''})"
                          for name, count in sorted(unknown.items()))
        report.add("app packages", "note", f"not managed by the tool: {shown}")
    else:
        report.add("app packages", "ok", "every app's package is known")


def _needs(client: CallrClient, desired: Desired, report: Report) -> None:
    """Read what planning ``desired`` reads (as the master account: whether a method exists
    does not depend on the account), and name what fails."""
    from provisioner.resources import KINDS, SUBACCOUNTS, LiveReader

    reader = LiveReader(client)
    accounts = [desired, *desired.accounts.values()]
    kinds = [SUBACCOUNTS, *KINDS]
    for kind in kinds:
        wanting = next((account for account in accounts if kind.needed(account)), None)
        if wanting is None:
            continue
        try:
            kind.read_for(reader, wanting)
        except RpcError as exc:
            if exc.code == METHOD_NOT_FOUND and exc.method:
                report.needed_missing.add(exc.method)
                report.add(f"manifests: {kind.kind}", "missing", f"needs {exc.method}")
            else:
                report.needed_failures.append(f"{kind.kind}: {exc}")
                report.add(f"manifests: {kind.kind}", "failed", str(exc))
            continue
        except ProvisionerError as exc:
            report.needed_failures.append(f"{kind.kind}: {exc}")
            report.add(f"manifests: {kind.kind}", "failed", str(exc))
            continue
        report.add(f"manifests: {kind.kind}", "ok", "its reads answer")


def _latency(report: Report) -> None:
    if not report.timings:
        return
    ms = sorted(t * 1000 for t in report.timings)
    report.add("latency", "note", f"median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms "
                                  f"over {len(ms)} calls")
