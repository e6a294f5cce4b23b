"""Dreadnode SDK (PyPI dreadnode 2.0.52) against the gateway's `platform` surface.

Proves snake.md scenario 16: `ApiClient(base, api_key=...).get_user()` returns the
core user for the bases `http://host:port` and `http://host:port/api/v1`; without a
key, and with an unknown key, the SDK raises `AuthenticationError("401: Authentication
failed")`. With EXPECT_FAULT_429=1 it first proves scenario 15: a one-shot injected
429 surfaces as a plain `RuntimeError("429: Rate limited")` (not
`InsufficientCreditsError`) and carries `Retry-After`.

Env: GATEWAY_URL, PLATFORM_API_KEY, EXPECT_USER_ID, EXPECT_EMAIL, EXPECT_USERNAME,
optional EXPECT_FAULT_429=1. Prints one JSON line per step; exit 0 iff all passed.
"""

import json
import os
import sys
import uuid

from dreadnode.app.api.client import ApiClient, AuthenticationError
from dreadnode.app.api.models import User
from dreadnode.core.exceptions import InsufficientCreditsError

FAILED = []


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"dreadnode_platform.py: missing required environment variable {name}")
    return value


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_raises(exc_type, fn):
    try:
        result = fn()
    except exc_type as e:
        return e
    raise AssertionError(f"expected {exc_type.__name__}, call returned {result!r}")


def step(name, fn):
    try:
        out = {"step": name, "ok": True, **(fn() or {})}
    except Exception as e:  # noqa: BLE001 - every failure is reported as a step result
        out = {"step": name, "ok": False, "error": f"{type(e).__name__}: {e}"}
        FAILED.append(name)
    print(json.dumps(out), flush=True)


URL = env("GATEWAY_URL").rstrip("/")
KEY = env("PLATFORM_API_KEY")
EXPECT = {"id": env("EXPECT_USER_ID"), "email_address": env("EXPECT_EMAIL"),
          "username": env("EXPECT_USERNAME")}
AUTH_FAILED = "401: Authentication failed"


def get_user_matches(base):
    user = ApiClient(base, api_key=KEY).get_user()
    check(isinstance(user, User), f"get_user() returned {type(user).__name__}, not User")
    for field, want in EXPECT.items():
        got = getattr(user, field)
        check(got == want, f"{field}: got {got!r}, want {want!r}")
    check(isinstance(user.teams, list), f"teams is {type(user.teams).__name__}, not a list")
    return {"base_url": base, "id": user.id, "username": user.username, "teams": len(user.teams)}


def auth_fails(api_key):
    e = expect_raises(AuthenticationError, lambda: ApiClient(URL, api_key=api_key).get_user())
    check(str(e) == AUTH_FAILED, f"message {str(e)!r}, want {AUTH_FAILED!r}")
    return {"error": str(e)}


def rate_limited():
    e = expect_raises(RuntimeError, lambda: ApiClient(URL, api_key=KEY).get_user())
    check(type(e) is RuntimeError, f"raised {type(e).__name__}, want plain RuntimeError")
    check(not isinstance(e, InsufficientCreditsError), "raised InsufficientCreditsError")
    check(str(e) == "429: Rate limited", f"message {str(e)!r}, want '429: Rate limited'")
    retry_after = e.__cause__.response.headers.get("Retry-After")  # httpx.HTTPStatusError
    check(retry_after is not None, "429 response has no Retry-After header")
    return {"error": str(e), "retry_after": retry_after}


if os.environ.get("EXPECT_FAULT_429") == "1":
    step("get_user_fault_429", rate_limited)
step("get_user_root_base", lambda: get_user_matches(URL))
step("get_user_api_v1_base", lambda: get_user_matches(URL + "/api/v1"))
step("get_user_no_key_401", lambda: auth_fails(None))
step("get_user_bad_key_401", lambda: auth_fails("dn_invalid_" + uuid.uuid4().hex))

if FAILED:
    sys.exit(f"dreadnode_platform.py: FAILED steps: {', '.join(FAILED)}")
