"""Bird SDK (PyPI messagebird-sdk 0.106.0, import `bird`) against the gateway's `me` surface.

Proves camel.md scenario 14: `Bird(api_key=<token>, base_url=<gateway>)` `.get("/me")`
returns the user; `.patch("/me", body={...})` returns the updated user; a bad locale
raises `bird.ValidationError` with `details[0].param == "locale"`; an unknown token
raises `APIStatusError` (401, type `auth_error`); with BIRD_DELETE=1, `.delete("/me")`
returns None and the token is refused afterwards (401).

Env: GATEWAY_URL, BIRD_TOKEN, EXPECT_USER_ID, optional BIRD_DELETE=1.
Prints one JSON line per step; exit 0 iff all passed.
"""

import json
import os
import sys
import uuid
import warnings

# bird/_generated.py trips a harmless pydantic "shadows an attribute" warning on import.
warnings.filterwarnings("ignore", message="Field name .* shadows an attribute")

from bird import APIStatusError, Bird, ValidationError  # noqa: E402

FAILED = []
PATCH = {"name": "Jane", "locale": "en-US", "timezone": "Europe/Amsterdam"}


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"bird_me.py: missing required environment variable {name}")
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
USER_ID = env("EXPECT_USER_ID")


def client(token):
    return Bird(api_key=token, base_url=URL, max_retries=0)  # no retries: fail fast


CLIENT = client(env("BIRD_TOKEN"))


def check_user(user, **want):
    check(isinstance(user, dict), f"response is {type(user).__name__}, not a dict")
    for field, value in {"id": USER_ID, **want}.items():
        check(user.get(field) == value, f"{field}: got {user.get(field)!r}, want {value!r}")


def get_me():
    user = CLIENT.get("/me")
    check_user(user)
    return {"id": user["id"], "status": user.get("status")}


def patch_me():
    user = CLIENT.patch("/me", body=PATCH)
    check_user(user, **PATCH)
    return {k: user[k] for k in PATCH}


def patch_bad_locale():
    e = expect_raises(ValidationError, lambda: CLIENT.patch("/me", body={"locale": "english_US"}))
    check(e.status_code == 422, f"status_code {e.status_code}, want 422")
    check(e.details and e.details[0].param == "locale", f"details {e.details!r}, want details[0].param 'locale'")
    return {"status_code": e.status_code, "type": e.type, "details": [d.param for d in e.details]}


def unauthorized(fn):
    e = expect_raises(APIStatusError, fn)
    check(e.status_code == 401, f"status_code {e.status_code}, want 401")
    check(e.type == "auth_error", f"type {e.type!r}, want 'auth_error'")
    return {"status_code": e.status_code, "type": e.type, "request_id": e.request_id}


def delete_me():
    result = CLIENT.delete("/me")
    check(result is None, f"delete returned {result!r}, want None")
    return {}


step("get_me", get_me)
step("patch_me", patch_me)
step("patch_me_bad_locale_422", patch_bad_locale)
step("get_me_unknown_token_401", lambda: unauthorized(lambda: client("unknown-" + uuid.uuid4().hex).get("/me")))
if os.environ.get("BIRD_DELETE") == "1":
    step("delete_me", delete_me)
    step("get_me_after_delete_401", lambda: unauthorized(lambda: CLIENT.get("/me")))

if FAILED:
    sys.exit(f"bird_me.py: FAILED steps: {', '.join(FAILED)}")
