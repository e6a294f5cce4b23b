"""The pytest plugin (entry point `pytest11: gateway_testkit`).

Fixtures:
- `gateway_server` (session): the gateway's URL and admin token. It attaches to a running gateway
  when `--gateway-url` / `$GATEWAY_URL` is set (with `--gateway-admin-token` /
  `$GATEWAY_ADMIN_TOKEN`); otherwise it starts the binary (`--gateway-bin`, `$GATEWAY_BIN`, the
  cargo workspace's `target/debug/gateway`, or `gateway` on `PATH`) on a free port with a
  temporary SQLite file, and stops it at the end of the session.
- `gateway` (session): a `Gateway` admin client; the session's fixture file
  (`--gateway-fixtures`, `$GATEWAY_FIXTURES` or the `gateway_fixtures` ini key) is loaded first.
- `gateway_user` (function): a fresh user with credentials for every surface.

Markers, applied before the test's other fixtures run:
- `@pytest.mark.gateway_reset`: `POST /admin/reset` (back to the loaded fixtures, journal
  cleared, fault rules gone). The ini key `gateway_reset = each` resets before every test that
  uses the gateway.
- `@pytest.mark.gateway_fixtures("file.yaml")`: load this file (relative to the test module)
  for the test; the session's fixtures (or an empty state) are loaded again after it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional

import pytest

from .client import Credentials, Gateway
from .server import GatewayProcess, GatewayServer, attach, find_binary


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gateway-testkit", "gateway test kit")
    group.addoption("--gateway-url", default=None,
                    help="use the gateway running at this URL instead of starting one "
                         "(default: $GATEWAY_URL)")
    group.addoption("--gateway-admin-token", default=None,
                    help="admin token of --gateway-url (default: $GATEWAY_ADMIN_TOKEN)")
    group.addoption("--gateway-bin", default=None,
                    help="gateway binary to start (default: $GATEWAY_BIN, else the cargo "
                         "workspace's target/debug/gateway, else `gateway` on PATH)")
    group.addoption("--gateway-fixtures", default=None,
                    help="fixture file loaded at the start of the session "
                         "(default: $GATEWAY_FIXTURES, else the gateway_fixtures ini key)")
    parser.addini("gateway_fixtures", "fixture file loaded at the start of the session, "
                  "relative to the rootdir", default="")
    parser.addini("gateway_reset", "`marked` (default): reset before tests marked "
                  "gateway_reset; `each`: before every test that uses the gateway",
                  default="marked")


def pytest_configure(config: pytest.Config) -> None:
    if config.getini("gateway_reset") not in ("marked", "each"):
        raise pytest.UsageError("the gateway_reset ini key takes `marked` or `each`")
    config.addinivalue_line(
        "markers", "gateway_reset: reset the gateway (POST /admin/reset) before this test")
    config.addinivalue_line(
        "markers", "gateway_fixtures(path): load this fixture file (relative to the test "
                   "module) before this test; the session's fixtures come back after it")


def _setting(config: pytest.Config, option: str, env: str) -> Optional[str]:
    return config.getoption(option) or os.environ.get(env) or None


def _session_fixtures(config: pytest.Config) -> Optional[Path]:
    given = _setting(config, "gateway_fixtures", "GATEWAY_FIXTURES") or config.getini(
        "gateway_fixtures")
    return (config.rootpath / given) if given else None


@pytest.fixture(scope="session")
def gateway_server(request: pytest.FixtureRequest) -> Iterator[GatewayServer]:
    """The gateway of this session: attached to (`$GATEWAY_URL`) or started."""
    config = request.config
    url = _setting(config, "gateway_url", "GATEWAY_URL")
    if url:
        yield attach(url, _setting(config, "gateway_admin_token", "GATEWAY_ADMIN_TOKEN") or "")
        return
    binary = find_binary(config.getoption("gateway_bin"),
                         [config.rootpath, Path(__file__).parent])
    with GatewayProcess(binary) as server:
        yield server


@pytest.fixture(scope="session")
def gateway(gateway_server: GatewayServer, request: pytest.FixtureRequest) -> Iterator[Gateway]:
    """Admin helpers of the session's gateway, with the session's fixtures loaded."""
    gw = Gateway(gateway_server)
    fixtures = _session_fixtures(request.config)
    if fixtures:
        gw.load_fixtures(fixtures)
    yield gw
    gw.close()


@pytest.fixture(autouse=True)
def _gateway_markers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Applies `gateway_fixtures` and `gateway_reset` to tests that use the gateway."""
    if "gateway" not in request.fixturenames:
        yield
        return
    gw: Gateway = request.getfixturevalue("gateway")
    marker = request.node.get_closest_marker("gateway_fixtures")
    if marker is not None:
        if len(marker.args) != 1:
            raise pytest.UsageError("gateway_fixtures takes one path")
        gw.load_fixtures(Path(request.node.path).parent / marker.args[0])
        gw.clear_journal()
    if (request.node.get_closest_marker("gateway_reset") is not None
            or request.config.getini("gateway_reset") == "each"):
        gw.reset()
    yield
    if marker is not None:
        gw.load_fixtures(_session_fixtures(request.config) or {})


@pytest.fixture
def gateway_user(gateway: Gateway) -> Credentials:
    """A new user (random username) with a token and API key for every token surface and a
    session in the default tiered project."""
    return gateway.create_user_with_credentials()
