"""gateway-testkit: run tests against the api-gateway emulator with pytest.

The pytest plugin (`gateway_testkit.plugin`, loaded through the `pytest11` entry point) starts
or attaches to a gateway and gives the `gateway` fixture, a `Gateway` with typed helpers for
fixtures, reset, users and credentials, fault rules and journal assertions.
"""

from .client import (
    ApiKey,
    Credentials,
    Fault,
    Gateway,
    GatewayError,
    Project,
    SurfaceCredentials,
    TieredSession,
    User,
)
from .server import GatewayProcess, GatewayServer, GatewayStartError, attach, find_binary
from .verify import (
    absent,
    build_pattern,
    contains,
    equal_to,
    json_contains,
    json_equals,
    matches,
    present,
)

__all__ = [
    "ApiKey", "Credentials", "Fault", "Gateway", "GatewayError", "Project", "SurfaceCredentials",
    "TieredSession", "User", "GatewayProcess", "GatewayServer", "GatewayStartError", "attach",
    "find_binary", "absent", "build_pattern", "contains", "equal_to", "json_contains",
    "json_equals", "matches", "present",
]
