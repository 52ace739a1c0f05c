"""The WSGI app: Ampache's endpoints on Bottle, turning HTTP into dispatch calls and back."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import logging
import re
from collections.abc import Callable
from typing import Any

import bottle

from .api.dispatch import Reply, Server, handle
from .api.params import Params

log = logging.getLogger("ampmini.http")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Range",
}
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")

MediaHandler = Callable[[Server, bottle.BaseRequest, str], Any]


def request_params(request: bottle.BaseRequest) -> Params:
    """Query string and form body as UTF-8 text (Bottle 0.13 item access is latin-1)."""
    decoded = request.params.decode("utf-8")
    values = {key: decoded.get(key) for key in decoded}
    multi = {key: decoded.getall(key) for key in decoded if key.endswith("[]")}
    return Params(values, multi)


def client_ip(request: bottle.BaseRequest) -> str:
    """The peer address from the server; never X-Forwarded-For (design §2, trap 2).
    Behind a proxy, waitress's trusted_proxy rewrites REMOTE_ADDR itself."""
    return str(request.environ.get("REMOTE_ADDR") or "")


def base_url(server: Server, request: bottle.BaseRequest) -> str:
    """Where the client reached us: config public_url, else scheme + Host header."""
    configured = server.config.server.public_url
    if configured:
        return configured.rstrip("/")
    environ = request.environ
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or ""
    if not _SAFE_HOST.match(host):  # a hostile Host header must not end up in URLs
        host = f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}"


def _release_memory() -> None:
    """Hand freed heap back to the OS after a big document.

    A 5,000-song answer builds tens of MB of short-lived objects; glibc keeps the freed
    pages, so a Pi's RSS would stay at its high-water mark. malloc_trim returns them.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to trim
        return None


_MALLOC_TRIM = _malloc_trim()
BIG_DOCUMENT = 1 << 20  # bytes


def _api_response(reply: Reply) -> Any:
    if reply.passthrough is not None:
        return reply.passthrough
    body: Any = reply.body
    if len(body) > BIG_DOCUMENT:
        _release_memory()
        # waitress copies a bytes body into its output buffer, and past 1 MB into a temp file
        # (SD-card writes on a Pi); a file object it reads in place (bottle hands it to
        # wsgi.file_wrapper; BytesIO shares the bytes).
        body = io.BytesIO(body)
    response = bottle.HTTPResponse(body, status=reply.status)
    response.set_header("Content-Length", str(len(reply.body)))
    response.set_header("Content-Type", reply.content_type)
    for key, value in {**CORS_HEADERS, **reply.headers}.items():
        response.set_header(key, value)
    return response


def make_app(server: Server, media: dict[str, MediaHandler] | None = None) -> bottle.Bottle:
    """The Bottle app; `media` maps 'play' and 'image' to the binary handlers."""
    app = bottle.Bottle()
    app.config["catchall"] = True  # a bug answers 500, never a traceback page
    media = media or {}

    def api(fmt: str) -> Any:
        request = bottle.request
        if request.method == "OPTIONS":
            return bottle.HTTPResponse(status=204, headers=CORS_HEADERS)
        reply = handle(
            server,
            fmt,
            request_params(request),
            client_ip(request),
            {"Authorization": request.get_header("Authorization", "")},
            base_url(server, request),
            http=request,
        )
        return _api_response(reply)

    @app.route("/server/xml.server.php", method=["GET", "POST", "OPTIONS"])
    def xml_api() -> Any:
        return api("xml")

    @app.route("/server/json.server.php", method=["GET", "POST", "OPTIONS"])
    def json_api() -> Any:
        return api("json")

    @app.route("/play/index.php", method=["GET", "HEAD", "OPTIONS"])
    @app.route("/play/<_rest:path>", method=["GET", "HEAD", "OPTIONS"])
    def play(_rest: str = "") -> Any:
        if bottle.request.method == "OPTIONS":
            return bottle.HTTPResponse(status=204, headers=CORS_HEADERS)
        handler = media.get("play")
        if handler is None:
            return bottle.HTTPResponse(status=404, headers=CORS_HEADERS)
        return handler(server, bottle.request, base_url(server, bottle.request))

    @app.route("/image.php", method=["GET", "HEAD"])
    def image() -> Any:
        handler = media.get("image")
        if handler is None:
            return bottle.HTTPResponse(status=404, headers=CORS_HEADERS)
        return handler(server, bottle.request, base_url(server, bottle.request))

    from .share_links import mount_share_links

    mount_share_links(app, server)

    @app.error(404)
    def not_found(_error: bottle.HTTPError) -> str:
        bottle.response.set_header("Content-Type", "text/plain; charset=UTF-8")
        return "Not Found\n"

    @app.error(405)
    def not_allowed(_error: bottle.HTTPError) -> str:
        bottle.response.set_header("Content-Type", "text/plain; charset=UTF-8")
        return "Method Not Allowed\n"

    @app.error(500)
    def failed(error: bottle.HTTPError) -> str:
        log.error("unhandled error: %s", error.exception or error.body)
        bottle.response.set_header("Content-Type", "text/plain; charset=UTF-8")
        return "Internal Server Error\n"

    return app
