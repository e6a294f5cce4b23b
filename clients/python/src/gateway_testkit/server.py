"""Starting the gateway binary for a test session, or attaching to one that already runs.

`GatewayProcess` runs `gateway serve` on 127.0.0.1 with a free port, a temporary SQLite file and
a random admin token, and waits until `GET /readyz` answers 200. `attach` checks a running
gateway given by URL and admin token. Both give a `GatewayServer` (URL, admin token).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

import httpx

READY_TIMEOUT_SECS = 60.0
STOP_TIMEOUT_SECS = 10.0
# Variables of the caller's environment that would change what the child serves.
_DROPPED_ENV = ("GATEWAY_ENV", "GATEWAY_CONFIG", "RUST_LOG")


class GatewayStartError(RuntimeError):
    """The gateway binary could not be found, did not start, or did not get ready."""


@dataclass(frozen=True)
class GatewayServer:
    """Where a gateway answers and the admin token of its `/admin` API."""

    url: str
    admin_token: str
    process: Optional["GatewayProcess"] = None


def find_binary(explicit: Optional[str] = None, search_from: Iterable[Path] = ()) -> Path:
    """The `gateway` binary: `explicit` (or `$GATEWAY_BIN`), else `target/debug/gateway` of the
    first cargo workspace above one of `search_from` (or `$CARGO_TARGET_DIR/debug/gateway`),
    else `gateway` on `PATH`."""
    given = explicit or os.environ.get("GATEWAY_BIN")
    if given:
        path = Path(given).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise GatewayStartError(f"GATEWAY_BIN={given} is not an executable file")
        return path.resolve()
    tried = []
    target_dir = os.environ.get("CARGO_TARGET_DIR")
    if target_dir:
        tried.append(Path(target_dir) / "debug" / "gateway")
    for start in search_from:
        for directory in [Path(start).resolve(), *Path(start).resolve().parents]:
            if (directory / "Cargo.toml").is_file() and (directory / "target").is_dir():
                tried.append(directory / "target" / "debug" / "gateway")
                break
    for candidate in tried:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("gateway")
    if on_path:
        return Path(on_path)
    looked = ", ".join(str(c) for c in tried) or "no cargo workspace found"
    raise GatewayStartError(
        "cannot find the gateway binary: set GATEWAY_BIN, run `cargo build -p gateway-server "
        f"--bin gateway`, or attach to a running one with GATEWAY_URL and GATEWAY_ADMIN_TOKEN "
        f"(looked at: {looked}; PATH)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=timeout, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def attach(url: str, admin_token: str) -> GatewayServer:
    """A running gateway; fails at once when its `/readyz` does not answer 200."""
    url = url.rstrip("/")
    if not admin_token:
        raise GatewayStartError(f"GATEWAY_URL={url} is set but GATEWAY_ADMIN_TOKEN is not")
    if not _ready(url, timeout=10.0):
        raise GatewayStartError(f"the gateway at {url} is not ready (GET /readyz)")
    return GatewayServer(url=url, admin_token=admin_token)


class GatewayProcess:
    """`gateway serve` as a child process with its own SQLite file, port and admin token.

    `settings` are extra configuration keys (`{"emulator.journal_capacity": 500}` becomes
    `GATEWAY__EMULATOR__JOURNAL_CAPACITY=500`); `GATEWAY__*` variables of the caller's
    environment are passed on too. Use as a context manager, or call `start` and `stop`.
    """

    def __init__(self, binary: Path, settings: Optional[Mapping[str, object]] = None,
                 ready_timeout: float = READY_TIMEOUT_SECS) -> None:
        self.binary = Path(binary)
        self.settings = dict(settings or {})
        self.ready_timeout = ready_timeout
        self.admin_token = secrets.token_urlsafe(32)
        self.url = ""
        self._dir: Optional[tempfile.TemporaryDirectory] = None
        self._child: Optional[subprocess.Popen] = None

    @property
    def log_path(self) -> Path:
        """The child's stdout and stderr."""
        if self._dir is None:
            raise GatewayStartError("the gateway was not started")
        return Path(self._dir.name) / "gateway.log"

    def _env(self, port: int) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        env.update({
            "GATEWAY__SERVER__HOST": "127.0.0.1",
            "GATEWAY__SERVER__PORT": str(port),
            "GATEWAY__SERVER__WORKERS": "2",
            "GATEWAY__DATABASE__URL": f"sqlite://{Path(self._dir.name) / 'gateway.db'}",
            "GATEWAY__ADMIN__TOKEN": self.admin_token,
            "GATEWAY__LOG__FILTER": "warn",
        })
        for key, value in self.settings.items():
            env["GATEWAY__" + key.upper().replace(".", "__")] = str(value)
        return env

    def start(self) -> GatewayServer:
        """Starts the binary and waits for readiness; a port taken meanwhile is retried."""
        self._dir = tempfile.TemporaryDirectory(prefix="gateway-testkit-")
        try:
            for attempt in range(3):
                port = free_port()
                self.url = f"http://127.0.0.1:{port}"
                with open(self.log_path, "ab") as log:
                    self._child = subprocess.Popen(
                        [str(self.binary), "serve"], env=self._env(port), cwd=self._dir.name,
                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
                deadline = time.monotonic() + self.ready_timeout
                while time.monotonic() < deadline and self._child.poll() is None:
                    if _ready(self.url):
                        return GatewayServer(url=self.url, admin_token=self.admin_token,
                                             process=self)
                    time.sleep(0.05)
                if self._child.poll() is None:
                    raise GatewayStartError(f"{self.binary} was not ready within "
                                            f"{self.ready_timeout:.0f} s:\n{self.log_tail()}")
                if "in use" not in self.log_tail() or attempt == 2:
                    raise GatewayStartError(f"{self.binary} serve exited "
                                            f"({self._child.returncode}):\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines the child wrote."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the shutdown timeout; removes the temporary directory."""
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
