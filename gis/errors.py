"""Errors a user can act on.

One root, a few kinds; each carries what the user needs to find the problem
(file, row, field, value), a ``code`` and the English of its kind beside the
Chinese message (``english``).  The CLI prints ``str(err)`` on one line and
exits non-zero; the API maps each kind to an HTTP status (``api.errors.DEFAULT_STATUS_CODES``):
the core knows nothing of HTTP.
"""

from __future__ import annotations


class MiyunError(Exception):
    """Root of every error the product reports to a user."""

    code = "error"
    english = "error"

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, value: object = None):
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        self.value = value
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"文件 {self.file}")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.field:
            where.append(f"字段 {self.field}")
        prefix = "，".join(where)
        return f"{prefix}：{self.message}" if prefix else self.message


class LayerError(MiyunError):
    """The reference layers are missing, unreadable or fail validation."""

    code = "invalid_layers"
    english = "the reference layers do not validate"


class InputError(MiyunError, ValueError):
    """A file, argument or request body the product cannot accept."""

    code = "invalid_input"
    english = "invalid input"


class CRSError(InputError):
    """Missing, unknown or implausible coordinate reference system."""

    code = "invalid_crs"
    english = "invalid coordinate reference system"


class NotFound(MiyunError, LookupError):
    """An id, town or layer that does not exist."""

    code = "not_found"
    english = "not found"


class TooLarge(InputError):
    """An upload or file over the size limit."""

    code = "too_large"
    english = "too large"


class Conflict(MiyunError):
    """A write based on an out-of-date version of a record, or one its state does not allow."""

    code = "conflict"
    english = "conflict: the record changed or its state does not allow this"


class Unauthorized(MiyunError):
    """No valid credentials: log in, or send a token."""

    code = "unauthorized"
    english = "log in or send a bearer token"


class Forbidden(MiyunError, PermissionError):
    """Valid credentials, but the user's role, town or grid does not allow this."""

    code = "forbidden"
    english = "your role, town or grid does not allow this"


class TooManyRequests(MiyunError):
    """Too many attempts (login); try again later."""

    code = "too_many_requests"
    english = "too many attempts; try again later"
