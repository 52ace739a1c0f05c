"""Ampache API errors: one exception per error code, carrying errorType and errorMessage."""

from __future__ import annotations


class ApiError(Exception):
    """An Ampache error document (spec §4): code, errorType, errorMessage."""

    code = 4702

    def __init__(self, message: str, error_type: str = "system") -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


class AccessDenied(ApiError):
    """4700: the API (or this API version) is switched off."""

    code = 4700

    def __init__(self, message: str = "Access Denied", error_type: str = "system") -> None:
        super().__init__(message, error_type)


class InvalidHandshake(ApiError):
    """4701: refused login, or no/expired session on any other action."""

    code = 4701

    def __init__(self, message: str = "Session Expired", error_type: str = "account") -> None:
        super().__init__(message, error_type)


class GenericError(ApiError):
    """4702: an unexpected server failure (logged, never shown as a traceback)."""

    code = 4702

    def __init__(self, message: str = "Generic error", error_type: str = "system") -> None:
        super().__init__(message, error_type)


class FeatureDisabled(ApiError):
    """4703: a server feature the action needs is disabled (`Enable: podcast`)."""

    code = 4703

    def __init__(self, feature: str) -> None:
        super().__init__(f"Enable: {feature}", "system")


class NotFound(ApiError):
    """4704: the object named by a parameter does not exist or is not visible."""

    code = 4704

    def __init__(self, value: object, param: str = "filter") -> None:
        super().__init__(f"Not Found: {value}", param)


class InvalidRequest(ApiError):
    """4705: unknown action."""

    code = 4705

    def __init__(self) -> None:
        super().__init__("Invalid Request", "system")


class Deprecated(ApiError):
    """4706: action removed from this API version (the tag* family)."""

    code = 4706

    def __init__(self) -> None:
        super().__init__("Deprecated", "removed")


class BadRequest(ApiError):
    """4710: a missing parameter (`system`) or an invalid value (errorType = the parameter)."""

    code = 4710

    def __init__(self, value: object, param: str = "system") -> None:
        super().__init__(f"Bad Request: {value}", param)


class MissingParameter(BadRequest):
    """4710 `system` `Bad Request: <param>` for a required parameter that is absent."""

    def __init__(self, param: str) -> None:
        super().__init__(param, "system")


class Forbidden(ApiError):
    """4742: the user's level is too low for the action, or the ACL refuses the address."""

    code = 4742

    def __init__(self, level: int | None = None, message: str | None = None) -> None:
        super().__init__(message or f"Require: {level}", "account")


class AclRefused(Forbidden):
    """4742 for an address outside the ACL."""

    def __init__(self) -> None:
        super().__init__(message="Unauthorized access attempt to API - ACL Error")


class HttpStatus(Exception):
    """Binary actions (stream, download, get_art) answer with real HTTP statuses (Decision 1):
    an empty body, or an Ampache error document under a non-200 status."""

    def __init__(self, status: int, error: ApiError | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.error = error
