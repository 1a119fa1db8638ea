"""Problems: the errors Siyu reports, rendered as ``application/problem+json`` (RFC 9457).

Each problem has a stable ``type`` (``urn:siyu:problem:<slug>``) that integrations can switch
on, and a human ``title`` in the caller's language.
"""

from __future__ import annotations

from typing import Any

from siyu.kit.i18n import N_

PROBLEM_TYPE_PREFIX = "urn:siyu:problem:"


class Problem(Exception):
    status: int = 400
    default_title: str = N_("Bad request")

    def __init__(
        self,
        slug: str,
        *,
        title: str | None = None,
        detail: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title or slug)
        self.slug = slug
        self.title = title or self.default_title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra
        if status is not None:
            self.status = status

    @property
    def type(self) -> str:
        return PROBLEM_TYPE_PREFIX + self.slug

    def body(self, translate: Any = None, instance: str | None = None) -> dict[str, Any]:
        """The problem document; ``translate`` puts the English title in the caller's language."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": translate(self.title) if translate else self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = translate(self.detail) if translate else self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(Problem):
    status = 400
    default_title = N_("Bad request")


class Unauthorized(Problem):
    status = 401
    default_title = N_("Authentication required")


class Forbidden(Problem):
    status = 403
    default_title = N_("Not allowed")


class NotFound(Problem):
    status = 404
    default_title = N_("Not found")


class Conflict(Problem):
    status = 409
    default_title = N_("Conflict")


class Unprocessable(Problem):
    status = 422
    default_title = N_("The request could not be processed")


class TooManyRequests(Problem):
    status = 429
    default_title = N_("Too many requests")


class ServiceUnavailable(Problem):
    status = 503
    default_title = N_("Service unavailable")
