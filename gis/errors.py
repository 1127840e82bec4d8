"""Errors a user can act on.

One root, a few kinds; each carries what the user needs to find the problem
(file, row, field, value).  The CLI prints ``str(err)`` on one line and
exits non-zero; the API maps ``status`` to the HTTP answer.
"""

from __future__ import annotations


class MiyunError(Exception):
    """Root of every error the product reports to a user."""

    status = 400
    code = "error"

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

    status = 409
    code = "invalid_layers"


class InputError(MiyunError, ValueError):
    """A file, argument or request body the product cannot accept."""

    status = 422
    code = "invalid_input"


class CRSError(InputError):
    """Missing, unknown or implausible coordinate reference system."""

    code = "invalid_crs"


class NotFound(MiyunError, LookupError):
    """An id, town or layer that does not exist."""

    status = 404
    code = "not_found"


class TooLarge(InputError):
    """An upload or file over the size limit."""

    status = 413
    code = "too_large"


class Conflict(MiyunError):
    """A write based on an out-of-date version of a record, or one its state does not allow."""

    status = 409
    code = "conflict"


class Unauthorized(MiyunError):
    """No valid credentials: log in, or send a token."""

    status = 401
    code = "unauthorized"


class Forbidden(MiyunError, PermissionError):
    """Valid credentials, but the user's role, town or grid does not allow this."""

    status = 403
    code = "forbidden"


class TooManyRequests(MiyunError):
    """Too many attempts (login); try again later."""

    status = 429
    code = "too_many_requests"
