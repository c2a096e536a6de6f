"""``/audio-files`` (formerly the media library, §2.8) and the number store (§2.4).

Audio files, CONFIRMED: ``POST /audio-files`` with a JSON body (name only: ``pending-content``)
or a ``multipart/form-data`` body (content uploaded: ``pending-conversion`` -> ``processing`` ->
``ready`` | ``error``); ``GET /audio-files``, ``GET|DELETE /audio-files/{sid}``, content by
``POST`` or ``PUT /audio-files/{sid}/file``. INFERRED: the multipart field names ``file`` and
``name``, 201 on create, 204 on delete, tags gone (they are not supported any more).

Number store, CONFIRMED paths, INFERRED bodies (marked experimental in the tool):
``POST /numbers/store`` ``{prefix | area, class, quantity, mode}`` reserves and answers
``{token, expire, items[{e164}], cost, contract}``; ``POST /numbers/store/{token}`` buys and
answers ``{numbers: [e164...]}``; ``DELETE /numbers/store/{token}`` cancels.
"""

from __future__ import annotations

import base64
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ..handlers.store import AREA_CODES
from .server import Answer, Request, Rest, bad_request, not_found, route
from .views import audio_view, envelope, media_id, paging, rfc3339


def _parts(request: Request) -> dict[str, tuple[bytes, str | None]]:
    """The fields of a multipart/form-data body: name -> (bytes, filename)."""
    head = f"Content-Type: {request.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message: Message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    if not message.is_multipart():
        raise bad_request("the multipart body cannot be parsed")
    out: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            out[str(name)] = (payload, part.get_filename())
    return out


def _is_multipart(request: Request) -> bool:
    return request.content_type.lower().startswith("multipart/form-data")


def _media(rest: Rest, sid: str) -> dict[str, Any]:
    ident = media_id(sid)
    library = rest.run("media/library.get_list", None) or {}
    if str(ident) not in library:
        raise not_found(f"audio file {sid}")
    return dict(library[str(ident)])  # the list holds the same views as media/library.get


def _upload(rest: Rest, ident: int, data: bytes, text: str) -> None:
    if not data:
        raise bad_request("file is empty")
    rest.run("media/library.set_content", ident, text,
             base64.b64encode(data).decode("ascii"))


@route("GET", "/audio-files")
def search(rest: Rest, request: Request) -> Answer:
    offset, limit, _, order = paging(request)
    library = rest.run("media/library.get_list", None) or {}
    files = [audio_view(media) for _, media in sorted(library.items(),
                                                        key=lambda kv: int(kv[0]))]
    if order == "desc":
        files.reverse()
    return 200, envelope(files, offset, limit)


@route("POST", "/audio-files")
def create(rest: Rest, request: Request) -> Answer:
    if _is_multipart(request):
        parts = _parts(request)
        if "file" not in parts:
            raise bad_request("the multipart body needs a file field")
        data, filename = parts["file"]
        name = parts["name"][0].decode("utf-8") if "name" in parts else (filename or "")
        if not name:
            raise bad_request("name is required")
        ident = int(rest.run("media/library.create", name))
        _upload(rest, ident, data, name)
    else:
        body = request.json()
        if set(body) != {"name"} or not isinstance(body["name"], str):
            raise bad_request('the JSON body is {"name": "..."}: upload content as multipart')
        ident = int(rest.run("media/library.create", body["name"]))
    return 201, audio_view(rest.run("media/library.get", ident))


@route("GET", "/audio-files/{sid}")
def get(rest: Rest, request: Request) -> Answer:
    return 200, audio_view(_media(rest, request.args["sid"]))


@route("DELETE", "/audio-files/{sid}")
def delete(rest: Rest, request: Request) -> Answer:
    media = _media(rest, request.args["sid"])
    rest.run("media/library.delete", media["id"])
    return 204, None


def _set_file(rest: Rest, request: Request) -> Answer:
    media = _media(rest, request.args["sid"])
    if not _is_multipart(request):
        raise bad_request("upload the content as multipart/form-data with a file field")
    parts = _parts(request)
    if "file" not in parts:
        raise bad_request("the multipart body needs a file field")
    _upload(rest, media["id"], parts["file"][0], media["name"])
    return 200, audio_view(rest.run("media/library.get", media["id"]))


route("POST", "/audio-files/{sid}/file")(_set_file)
route("PUT", "/audio-files/{sid}/file")(_set_file)


# --- the number store ----------------------------------------------------------------------

def _area(body: dict[str, Any]) -> int:
    """The emulator's area code of ``prefix`` (``+33199005``) or ``area`` (``paris``)."""
    prefix, area = body.get("prefix"), body.get("area")
    for ident, row in AREA_CODES.items():
        if area is not None and str(row["label"]).lower() == str(area).lower():
            return ident
        if prefix is not None and str(prefix).lstrip("+") == str(row["intl_prefix"]).lstrip("+"):
            return ident
    raise bad_request("no store area matches this prefix or area")


@route("GET", "/numbers/store/countries")
def countries(rest: Rest, request: Request) -> Answer:
    return 200, rest.run("did/areacode.countries")


@route("GET", "/numbers/store/prefixes")
def prefixes(rest: Rest, request: Request) -> Answer:
    rows = rest.run("did/areacode.get_list", request.query.get("country", "FR"), None)
    return 200, [{"prefix": "+" + str(r["intl_prefix"]).lstrip("+"),
                  "area": str(r.get("label", "")).lower(),
                  "type": str(r.get("type", "")).lower()} for r in rows]


@route("POST", "/numbers/store")
def reserve(rest: Rest, request: Request) -> Answer:
    body = request.json()
    order = rest.run("did/store.reserve", _area(body), str(body.get("class", "classic")).upper(),
                     body.get("quantity", 1), str(body.get("mode", "random")).upper())
    items = [{"e164": item["intl_number"]} for item in order["items"]]
    return 201, {"token": order["token"], "expire": rfc3339(order["expire"]), "items": items,
                 "cost": order.get("cost"), "contract": order.get("contract")}


@route("POST", "/numbers/store/{token}")
def buy(rest: Rest, request: Request) -> Answer:
    bought = rest.run("did/store.buy_order", request.args["token"])
    return 200, {"numbers": [item["intl_number"] for item in bought["success"]]}


@route("DELETE", "/numbers/store/{token}")
def cancel(rest: Rest, request: Request) -> Answer:
    rest.run("did/store.cancel_order", request.args["token"])
    return 204, None
