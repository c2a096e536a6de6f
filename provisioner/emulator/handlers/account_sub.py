"""``account/sub.*`` and ``jobs.get``: sub-accounts of the master account and archive jobs.

Every SubAccount object returned carries its ``hash`` (create, get, search hits); methods.md
confirms it only for search hits (variant ``sub-create-without-hash``: the create result has
none). Variant ``strict-sub-params``: create and edit refuse ``params.default`` (error 151), as
CreateParams and EditParams document ``billing`` only. The password is only in the create
result. Archive jobs are computed lazily from the clock: PENDING, RUNNING after
``job_delay / 2``, DONE after ``job_delay``; ``settle_jobs`` (run at the start of every request)
archives the sub-account once its job is DONE.
"""

from __future__ import annotations

import copy
import string
from typing import Any

from ..errors import NOT_ALLOWED, ApiError, invalid, missing, not_found
from ..store import NULL_DATE, State, fmt_date, new_account, new_hash, rng
from ..validate import List, Obj, Str, no_unknown_keys, want_enum, want_obj, want_str
from .base import NULL, Ctx, filters_obj, paginate, register

QUOTA_MAX = 50
PASSWORD_ALPHABET = string.ascii_letters + string.digits
ADDRESS = Obj(
    fields={
        "city": Str(""),
        "country": Str(""),
        "state": Str(""),
        "street": Str(""),
        "zip": Str(""),
    }
)
ACCOUNT = Obj(fields={"company": Str(required=True), "firstname": Str(""), "lastname": Str("")})
CONTACT = Obj(
    fields={
        "addresses": List(item=ADDRESS, max_len=1),
        "emails": List(item=Str(kind="email"), max_len=1),
        "phones": List(item=Str(kind="e164"), max_len=1),
        "tech_emails": List(item=Str(kind="email")),
    }
)
BILLING = Obj(
    fields={"addresses": List(item=ADDRESS, max_len=1), "emails": List(item=Str(kind="email"))}
)
DEFAULT = Obj(
    fields={"locale": Str("fr_FR", kind="locale"), "timezone": Str("Europe/Paris", kind="timezone")}
)
# SubAccount.CreateParams documents only ``billing``; ``default`` (locale, timezone) is accepted
# too, since SubAccount.Params returns it and a manifest may want to set it at creation.
PARAMS = Obj(fields={"billing": BILLING, "default": DEFAULT})


def _no_media(_: int) -> bool:
    return False


def _strict_params(ctx: Ctx, params: Any) -> None:
    """Under ``strict-sub-params``, ``params.default`` is not a property the API knows."""
    if "strict-sub-params" in ctx.variants and isinstance(params, dict) and "default" in params:
        raise invalid("properties.params.default", "is not a known property")


def _master(ctx: Ctx) -> None:
    if ctx.is_sub:
        raise ApiError(NOT_ALLOWED, "Feature not allowed: a sub-account cannot manage sub-accounts")


def _sub(ctx: Ctx, sub_hash: str) -> dict[str, Any]:
    if sub_hash not in ctx.account["subs"]:
        raise not_found("sub-account", sub_hash)
    return ctx.state["accounts"][sub_hash]  # type: ignore[no-any-return]


def sub_view(account: dict[str, Any]) -> dict[str, Any]:
    sub = copy.deepcopy(account["sub"])
    billing = {
        "addresses": sub["params"]["billing"]["addresses"],
        "currency_code": "EUR",
        "emails": sub["params"]["billing"]["emails"],
    }
    return {
        "hash": account["hash"],
        "account": sub["account"],
        "contact": sub["contact"],
        "credentials": {"login": sub["login"], "password": None},
        "params": {"billing": billing, "default": sub["params"]["default"]},
        "state": sub["state"],
    }


def _contact(value: Any) -> dict[str, Any]:
    contact: dict[str, Any] = CONTACT.check(value, "properties.contact", _no_media)
    if not contact["emails"]:
        raise missing("properties.contact.emails")
    return contact


def _password(options: Any) -> str:
    opts = {} if options is None else want_obj(options, "options")
    no_unknown_keys(opts, {"password"}, "options")
    pw = {} if opts.get("password") is None else want_obj(opts["password"], "options.password")
    no_unknown_keys(pw, {"method", "value"}, "options.password")
    method = want_enum(pw.get("method", "AUTO"), "options.password.method", ("AUTO", "MANUAL"))
    if method == "AUTO":
        return "".join(rng().choices(PASSWORD_ALPHABET, k=16))
    if pw.get("value") is None:
        raise missing("options.password.value")
    value = want_str(pw["value"], "options.password.value")
    if not 8 <= len(value) <= 64:
        raise invalid("options.password.value", "must be 8 to 64 characters")
    return value


@register("account/sub.create", dict, (dict, NULL))
def create(ctx: Ctx, properties: dict[str, Any], options: Any) -> dict[str, Any]:
    _master(ctx)
    no_unknown_keys(properties, {"account", "contact", "params"}, "properties")
    account = ACCOUNT.check(properties.get("account"), "properties.account", _no_media)
    if not account["company"].strip():
        raise invalid("properties.account.company", "must not be empty")
    contact = _contact(properties.get("contact"))
    _strict_params(ctx, properties.get("params"))
    params = PARAMS.check(properties.get("params"), "properties.params", _no_media)
    password = _password(options)
    if len(ctx.account["subs"]) >= QUOTA_MAX:
        raise ApiError(NOT_ALLOWED, f"Feature not allowed: sub-account quota ({QUOTA_MAX}) reached")
    acc = new_account(ctx.state, ctx.account["hash"])
    acc["sub"] = {
        "account": account,
        "contact": contact,
        "params": params,
        "login": f"sub_{acc['hash'].lower()}",
        "archive_job": None,
        "state": {
            "allow_calls_in": True,
            "allow_calls_out": True,
            "allow_sms_in": True,
            "allow_sms_out": True,
            "archived": False,
            "credit": "0.00",
            "disabled": False,
        },
    }
    ctx.account["subs"].append(acc["hash"])
    view = sub_view(acc)
    view["credentials"]["password"] = password
    if "sub-create-without-hash" in ctx.variants:
        del view["hash"]
    return view


@register("account/sub.edit", str, dict, (dict, NULL))
def edit(ctx: Ctx, sub_hash: str, properties: dict[str, Any], options: Any) -> dict[str, Any]:
    """Replaces the given sub-objects (contact, params.billing, params.default)."""
    _master(ctx)
    acc = _sub(ctx, sub_hash)
    if "account" in properties:
        raise invalid("properties.account", "is not editable")
    no_unknown_keys(properties, {"contact", "params"}, "properties")
    if options is not None:
        no_unknown_keys(options, set(), "options")
    sub = acc["sub"]
    contact = _contact(properties["contact"]) if "contact" in properties else sub["contact"]
    given: dict[str, Any] = {}
    checked: dict[str, Any] = {}
    if properties.get("params") is not None:
        given = want_obj(properties["params"], "properties.params")
        _strict_params(ctx, given)
        no_unknown_keys(given, PARAMS.fields, "properties.params")
        checked = PARAMS.check(given, "properties.params", _no_media)
    sub["contact"] = contact
    for key in given:
        sub["params"][key] = checked[key]
    return sub_view(acc)


@register("account/sub.get", str)
def get(ctx: Ctx, sub_hash: str) -> dict[str, Any]:
    _master(ctx)
    return sub_view(_sub(ctx, sub_hash))


@register("account/sub.search", (dict, NULL), (dict, NULL))
def search(ctx: Ctx, filters: Any, options: Any) -> dict[str, Any]:
    """``filters.archived``: false (default) only active, true only archived, null both."""
    _master(ctx)
    flt = filters_obj(filters, {"archived"})
    archived = flt.get("archived", False)
    if archived is not None and not isinstance(archived, bool):
        raise invalid("filters.archived", "must be a boolean or null")
    accounts = [ctx.state["accounts"][h] for h in ctx.account["subs"]]
    hits = [
        sub_view(a)
        for a in accounts
        if archived is None or a["sub"]["state"]["archived"] == archived
    ]
    return paginate(hits, options)


def _set_disabled(ctx: Ctx, sub_hash: str, disabled: bool) -> bool:
    _master(ctx)
    _sub(ctx, sub_hash)["sub"]["state"]["disabled"] = disabled
    return True


@register("account/sub.disable", str)
def disable(ctx: Ctx, sub_hash: str) -> bool:
    return _set_disabled(ctx, sub_hash, True)


@register("account/sub.enable", str)
def enable(ctx: Ctx, sub_hash: str) -> bool:
    return _set_disabled(ctx, sub_hash, False)


@register("account/sub.archive", str, (dict, NULL))
def archive(ctx: Ctx, sub_hash: str, options: Any) -> str:
    _master(ctx)
    sub = _sub(ctx, sub_hash)["sub"]
    if not sub["state"]["disabled"]:
        raise invalid("hash", "must be a disabled sub-account to be archived")
    if sub["state"]["archived"] or sub["archive_job"] is not None:
        raise invalid("hash", "is already archived or being archived")
    job_id = new_hash(ctx.state, "job")
    ctx.state["jobs"][job_id] = {
        "id": job_id,
        "owner": ctx.account["hash"],
        "sub": sub_hash,
        "created": ctx.now,
        "applied": False,
    }
    sub["archive_job"] = job_id
    return job_id


@register("account/sub.unarchive", str)
def unarchive(ctx: Ctx, sub_hash: str) -> bool:
    _master(ctx)
    sub = _sub(ctx, sub_hash)["sub"]
    if not sub["state"]["archived"]:
        raise invalid("hash", "is not an archived sub-account")
    sub["state"]["archived"] = False
    sub["archive_job"] = None
    return True


@register("account/sub.get_quota")
def get_quota(ctx: Ctx) -> dict[str, Any]:
    _master(ctx)
    return {"actual": len(ctx.account["subs"]), "max": QUOTA_MAX}


def _job_status(job: dict[str, Any], now: float, delay: float) -> str:
    elapsed = now - job["created"]
    if elapsed >= delay:
        return "DONE"
    return "RUNNING" if elapsed >= delay / 2 else "PENDING"


def settle_jobs(state: State, now: float, delay: float) -> None:
    """Archive the sub-accounts whose archive job is DONE (deterministic from state and clock)."""
    for job in state["jobs"].values():
        if not job["applied"] and _job_status(job, now, delay) == "DONE":
            job["applied"] = True
            sub = state["accounts"][job["sub"]]["sub"]
            if sub["archive_job"] == job["id"]:
                sub["state"]["archived"] = True
                sub["archive_job"] = None


@register("jobs.get", str)
def jobs_get(ctx: Ctx, job_id: str) -> dict[str, Any]:
    job = ctx.state["jobs"].get(job_id)
    if job is None or job["owner"] != ctx.account["hash"]:
        raise not_found("job", job_id)
    status = _job_status(job, ctx.now, ctx.job_delay)
    percent = {"PENDING": "0.00", "RUNNING": "50.00", "DONE": "100.00"}[status]
    done = status == "DONE"
    return {
        "id": job_id,
        "status": status,
        "percent": percent,
        "done_at": fmt_date(job["created"] + ctx.job_delay) if done else NULL_DATE,
        "error": None,
        "result": {"hash": job["sub"]} if done else None,
    }
