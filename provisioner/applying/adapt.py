"""Apply's answers to the API's unconfirmed behaviours: the call made when a guess proves wrong.

``shared/callr-api/methods.md`` marks several behaviours the plan relies on as inferred. Where
the live API may answer otherwise, the executor makes its writes through ``Adapter.call``,
which keeps the plan's calls and adds what the other answer needs:

- ``account/sub.create`` returning no ``hash`` (the documented SubAccount has none): the new
  sub-account is found with ``account/sub.search``, by company and ``credentials.login``, and
  the hash is added to the result, so the Login-As work of the same apply still happens.
- ``account/sub.create``/``edit`` refusing ``params.default`` (only ``billing`` is documented):
  sent again without it, with a note; later calls of the run leave it out at once.
- ``apps.assign_did`` refusing a DID another app holds: ``apps.remove_did`` then
  ``apps.assign_did``, with the gap in seconds in a note (and the DID put back on its app if
  the second assignment fails); later moves of the run go that way at once.

What an Adapter learned lasts for one apply (one Adapter per ``Executor.run``). Each answer
adds a note to the step, which apply prints and journals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from provisioner.api.client import CallrClient
from provisioner.applying.recovery import did_app, sub_accounts
from provisioner.errors import InvalidParamsError, NotAllowedError, ProvisionerError, RpcError

log = logging.getLogger(__name__)

DEFAULT_REFUSED = "params.default refused"
MOVE_REFUSED = "assign_did does not move"


class AdaptError(ProvisionerError):
    """The API answered otherwise than expected and no other way to the same result worked."""


def _refused(exc: RpcError) -> bool:
    """A refusal of the request's content (not a missing object, right or method)."""
    return isinstance(exc, InvalidParamsError) or (
        isinstance(exc, NotAllowedError) and exc.code == 100)


class Adapter:
    """Makes one apply's write calls, learning which way each guess turned out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.learned: set[str] = set()
        self._lock = threading.Lock()

    def knows(self, fact: str) -> bool:
        with self._lock:
            return fact in self.learned

    def learn(self, fact: str) -> None:
        with self._lock:
            self.learned.add(fact)

    def call(self, client: CallrClient, method: str, args: dict[str, Any], *,
             moving: bool = False) -> tuple[Any, list[str]]:
        """The result of ``method`` and the notes on how it was reached. ``moving``: an
        ``apps.assign_did`` of a DID that another app holds (a reassignment)."""
        notes: list[str] = []
        if method in ("account/sub.create", "account/sub.edit"):
            result = self._sub_call(client, method, args, notes)
            if method == "account/sub.create":
                result = self._with_hash(client, args, result, notes)
            return result, notes
        if method == "apps.assign_did" and moving:
            return self._move(client, args, notes), notes
        return client.call(method, **args), notes

    # -- sub-accounts ---------------------------------------------------------------------------

    def _sub_call(self, client: CallrClient, method: str, args: dict[str, Any],
                  notes: list[str]) -> Any:
        has_default = "default" in ((args.get("properties") or {}).get("params") or {})
        if has_default and self.knows(DEFAULT_REFUSED):
            notes.append("params.default left out: the API refused it earlier in this apply")
            return client.call(method, **_without_default(args))
        try:
            return client.call(method, **args)
        except RpcError as exc:
            if not (has_default and _refused(exc)):
                raise
            log.warning("%s refused params.default (error %s): sending it without", method,
                        exc.code)
            result = client.call(method, **_without_default(args))
            self.learn(DEFAULT_REFUSED)
            notes.append(f"params.default refused by the API (error {exc.code}): sent without "
                         "it; set the locale and timezone in the CALLR portal")
            return result

    @staticmethod
    def _with_hash(client: CallrClient, args: dict[str, Any], result: Any,
                   notes: list[str]) -> Any:
        if not isinstance(result, dict) or result.get("hash"):
            return result
        company = ((args.get("properties") or {}).get("account") or {}).get("company")
        login = (result.get("credentials") or {}).get("login")
        hits = [hit for hit in sub_accounts(client)
                if (hit.get("account") or {}).get("company") == company
                and (login is None or (hit.get("credentials") or {}).get("login") == login)]
        if len(hits) != 1 or not hits[0].get("hash"):
            raise AdaptError(
                f"account/sub.create returned no hash, and account/sub.search finds "
                f"{len(hits)} sub-accounts of company {company!r}"
                f"{f' and login {login!r}' if login else ''}: check the account, then plan again")
        notes.append("account/sub.create returned no hash: found with account/sub.search")
        return {**result, "hash": hits[0]["hash"]}

    # -- moving a DID ---------------------------------------------------------------------------

    def _move(self, client: CallrClient, args: dict[str, Any], notes: list[str]) -> Any:
        if not self.knows(MOVE_REFUSED):
            try:
                return client.call("apps.assign_did", **args)
            except RpcError as exc:
                if not _refused(exc):
                    raise
                log.warning("apps.assign_did refused to move an assigned DID (error %s): "
                            "removing it first", exc.code)
                self.learn(MOVE_REFUSED)
        holder = did_app(client, args["did_hash"])
        started = self.clock()
        client.call("apps.remove_did", did_hash=args["did_hash"])
        try:
            result = client.call("apps.assign_did", **args)
        except RpcError:
            if holder is not None:
                client.call("apps.assign_did", app_hash=holder, did_hash=args["did_hash"])
            raise
        gap = self.clock() - started
        notes.append(f"moved by apps.remove_did then apps.assign_did (the API does not move an "
                     f"assigned DID): calls to it were not routed for {gap:.2f} s")
        return result


def _without_default(args: dict[str, Any]) -> dict[str, Any]:
    properties = dict(args.get("properties") or {})
    params = {k: v for k, v in (properties.get("params") or {}).items() if k != "default"}
    if params:
        properties["params"] = params
    else:
        properties.pop("params", None)
    return {**args, "properties": properties}
