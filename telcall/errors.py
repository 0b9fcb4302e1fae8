"""Every exception telcall raises (``from telcall import errors``).

The hierarchy::

    TelcallError
    ├── TransportError                  the request never produced a response
    │   ├── ConnectError                could not connect (never sent)
    │   ├── TransportTimeout            connect or read timed out / deadline hit
    │   └── ResponseTooLarge            the body grew past max_response_bytes (decompressed)
    ├── APIError                        the provider answered "no"
    │   ├── BadRequestError             400
    │   ├── AuthenticationError         401 (bad api key, expired token, ...)
    │   ├── PermissionDeniedError       403
    │   ├── NotFoundError               404 (or a provider's "not found" code)
    │   ├── RateLimitError              429
    │   ├── ServerError                 5xx (after retries)
    │   └── ProviderError               a "fail" body, often with HTTP 200
    ├── DecodeError                     a success status whose body is not the expected JSON
    ├── PaginationError                 a listing whose cursor does not advance
    ├── ValidationError (ValueError)    bad input, rejected before any I/O
    └── ClientClosedError (RuntimeError) the client was closed

Every error built from a response carries the provider, HTTP status, the
provider's code and message, the request method and its URL with credentials
redacted, and the raw body.  Nothing secret is ever part of ``str(error)``.
"""

from ._core.errors import (
    APIError as APIError,
    AuthenticationError as AuthenticationError,
    BadRequestError as BadRequestError,
    ClientClosedError as ClientClosedError,
    ConnectError as ConnectError,
    DecodeError as DecodeError,
    NotFoundError as NotFoundError,
    PaginationError as PaginationError,
    PermissionDeniedError as PermissionDeniedError,
    ProviderError as ProviderError,
    RateLimitError as RateLimitError,
    ResponseTooLarge as ResponseTooLarge,
    ServerError as ServerError,
    TelcallError as TelcallError,
    TransportError as TransportError,
    TransportTimeout as TransportTimeout,
    ValidationError as ValidationError,
)

__all__ = (
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConnectError",
    "DecodeError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "ResponseTooLarge",
    "ServerError",
    "TelcallError",
    "TransportError",
    "TransportTimeout",
    "ValidationError",
)
