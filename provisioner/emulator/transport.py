"""The in-process httpx transport: a dropped response becomes a transport error, as over HTTP."""

from __future__ import annotations

import httpx


class ResponseDropped(ConnectionAbortedError):
    """Raised by the WSGI app to close the connection without answering.

    wsgiref's handler swallows ``ConnectionAbortedError`` without writing anything, so over real
    HTTP the client sees the server disconnect; ``EmulatorTransport`` turns it into
    ``httpx.RemoteProtocolError``.
    """


class EmulatorTransport(httpx.WSGITransport):
    """``httpx.WSGITransport`` whose dropped responses raise ``httpx.RemoteProtocolError``."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except ResponseDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None
