"""One API request, in the order of spec §2.8: credential → ACL → action → level → run → render."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import preferences
from ..accounts import catalog_access
from . import actions as _actions  # noqa: F401 - importing registers every action
from .auth import LoginLimiter, bearer_token, extend_session, parse_version, resolve_token
from .errors import (
    AccessDenied,
    AclRefused,
    ApiError,
    Deprecated,
    FeatureDisabled,
    Forbidden,
    GenericError,
    HttpStatus,
    InvalidHandshake,
    InvalidRequest,
)
from .listing import scoped
from .params import Params
from .registry import ACTIONS, DEPRECATED, Context, Level
from .render import error_json, error_xml, to_json, to_xml
from .shapes import (
    Document,
    EmptyResult,
    Grouped,
    IdIndex,
    IdList,
    KeyValues,
    ObjectList,
    Single,
    Success,
)

if TYPE_CHECKING:
    from ..config import Config
    from ..db import Database

log = logging.getLogger("ampmini.api")

XML_TYPE = "text/xml; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
_DOCUMENTS = (ObjectList, Single, KeyValues, Success, EmptyResult, IdList, IdIndex, Grouped)


@dataclass(slots=True)
class Reply:
    """What the web layer sends: a rendered document, or a binary response object."""

    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    passthrough: Any = None  # e.g. a file response from stream/download/get_art
    status: int = 200


@dataclass(slots=True)
class Server:
    """The long-lived pieces every request needs."""

    db: Database
    config_source: Any  # object with a `.current` Config (config.ConfigHolder)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    services: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Actions that rewrite the config file (reset_apikey) reload it through this.
        self.services.setdefault("config_source", self.config_source)

    @property
    def config(self) -> Config:
        return self.config_source.current


preferences.offer("api_force_version")


def _forced_version(conn: Any, user_id: int) -> int | None:
    """Spec §2.7 step 1: the user's `api_force_version` (5 or 6) beats any version sent."""
    value = str(preferences.get(conn, user_id, "api_force_version"))
    return int(value) if value in ("5", "6") else None


def _render(doc: Document, fmt: str, api: int) -> Reply:
    if fmt == "xml":
        return Reply(
            to_xml(doc, api),
            XML_TYPE,
            {"Content-Disposition": "attachment; filename=information.xml"},
        )
    return Reply(to_json(doc, api), JSON_TYPE)


def _render_error(err: ApiError, action: str, fmt: str, api: int) -> Reply:
    if isinstance(err, AccessDenied) and err.error_type == "version":
        return _render_api4_error(err.message, fmt)
    if fmt == "xml":
        return Reply(error_xml(err, action, api), XML_TYPE)
    return Reply(error_json(err, action, api), JSON_TYPE)


def _render_api4_error(message: str, fmt: str) -> Reply:
    """API3/API4 clients parse `{"error":{"code","message"}}` (spec §4.3, Decision 21)."""
    if fmt == "xml":
        from .render import XML_HEAD, cdata

        body = f'{XML_HEAD}<root>\n  <error code="403">{cdata(message)}</error>\n</root>\n'
        return Reply(body.encode("utf-8"), XML_TYPE)
    body_json = json.dumps({"error": {"code": "403", "message": message}})
    return Reply(body_json.encode("utf-8"), JSON_TYPE)


def handle(
    server: Server,
    fmt: str,
    values: Params,
    ip: str,
    headers: Mapping[str, str],
    base_url: str,
    http: Any = None,
) -> Reply:
    """Run one API call and render its answer; never raises."""
    started = time.perf_counter()
    name = (values.get("action") or "").strip().lower() or "ping"  # 6.9.2: no action = ping
    api = 6
    user_name = "-"
    try:
        config = server.config
        now = int(time.time())
        act = ACTIONS.get(name)
        conn = server.db.reader()
        token = values.get("auth") or bearer_token(headers)
        from_header = values.get("auth") is None and token is not None
        cred = None
        if token and name != "handshake":
            cred = resolve_token(conn, token, config.apikeys, now)
            if cred is not None and cred.user["disabled"]:
                cred = None
        version_param = values.get("version")
        if (act is not None and act.public) or (from_header and version_param):
            requested = parse_version(version_param)
            api = requested.major
            if name == "ping" and not version_param and cred and cred.api_version:
                api = cred.api_version
        else:
            requested = parse_version(None)
            api = (cred.api_version if cred else None) or 6
        if cred is not None:
            api = _forced_version(conn, cred.user["id"]) or api
        if (act is None or not act.public) and cred is None:
            raise InvalidHandshake()
        needed = max(Level.GUEST, act.level if act else Level.GUEST)
        if not config.acl.allows(ip, "rpc", needed):
            raise AclRefused()
        if name in DEPRECATED:
            raise Deprecated()
        if act is None or (api < 6 and act.api6_only):
            raise InvalidRequest()
        ctx = Context(
            db=server.db,
            conn=conn,
            config=config,
            params=values,
            action=name,
            fmt=fmt,
            api=api,
            base_url=base_url,
            ip=ip,
            user=cred.user if cred else None,
            session=cred.session if cred else None,
            numeric_version=requested.numeric,
            headers=dict(headers),
            services=server.services,
            http=http,
            server=server,
        )
        ctx.services.setdefault("limiter", server.limiter)
        if cred is not None:
            user_name = cred.user["username"]
            if ctx.access < act.level:
                raise Forbidden(act.level)
        if act.feature and not getattr(config.features, act.feature, False):
            raise FeatureDisabled(act.feature)
        if cred is not None:
            ctx.allowed_catalogs = catalog_access(conn, cred.user)
        if ctx.allowed_catalogs is None:
            result = act.func(ctx)
        else:  # a catalog-restricted user (issue 9): every list and loader sees the limit
            with scoped(ctx.allowed_catalogs):
                result = act.func(ctx)
        api = ctx.api  # ping/handshake may have switched the session's version
        if ctx.user is not None:
            user_name = ctx.user["username"]  # a handshake learns who it is only now
        if cred is not None and cred.session and name not in ("goodbye", "ping", "handshake"):
            extend_session(server.db, cred.session, config.server.session_length, now)
        if isinstance(result, _DOCUMENTS):
            reply = _render(result, fmt, api)
        else:
            reply = Reply(passthrough=result)
        outcome = "ok"
    except ApiError as err:
        reply = _render_error(err, name, fmt, api)
        outcome = str(err.code)
    except HttpStatus as status:
        if status.error is not None:
            reply = _render_error(status.error, name, fmt, api)
        else:
            reply = Reply(b"", "text/plain; charset=UTF-8")
        reply.status = status.status
        outcome = f"http {status.status}"
    except Exception:
        log.exception("action %s failed", name)
        reply = _render_error(GenericError(), name, fmt, api)
        outcome = "4702"
    # Only the action, the user and the outcome: parameters can carry passwords and keys.
    log.info(
        "%s %s %s user=%s %s %.1fms",
        ip, fmt, name, user_name, outcome, (time.perf_counter() - started) * 1000,
    )
    return reply
