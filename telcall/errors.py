"""Every exception telcall raises (``from telcall import errors``).

The hierarchy is drawn once, in ``telcall._core.errors``, and shown here too
(``help(telcall.errors)``); the README's copy is checked against it by a test.
"""

from ._core import errors as _core_errors
from ._core.errors import (
    APIError as APIError,
    AuthenticationError as AuthenticationError,
    BadRequestError as BadRequestError,
    CheckpointError as CheckpointError,
    ClientClosedError as ClientClosedError,
    ConnectError as ConnectError,
    DecodeError as DecodeError,
    NotFoundError as NotFoundError,
    PaginationError as PaginationError,
    PermissionDeniedError as PermissionDeniedError,
    ProviderError as ProviderError,
    RateLimitError as RateLimitError,
    RedirectError as RedirectError,
    ResponseTooLarge as ResponseTooLarge,
    ServerError as ServerError,
    TelcallError as TelcallError,
    TransportError as TransportError,
    TransportTimeout as TransportTimeout,
    ValidationError as ValidationError,
    WrongEventLoopError as WrongEventLoopError,
)

__all__ = (
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CheckpointError",
    "ClientClosedError",
    "ConnectError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "RedirectError",
    "ResponseTooLarge",
    "ServerError",
    "TelcallError",
    "TransportError",
    "TransportTimeout",
    "ValidationError",
    "WrongEventLoopError",
)

__doc__ = _core_errors.__doc__.replace(
    "Every exception telcall raises.",
    "Every exception telcall raises (``from telcall import errors``).",
    1,
)
