"""Bird SDK (PyPI messagebird-sdk 0.106.0, import `bird`) retrying through injected faults.

Proves camel.md scenario 15: with one injected 503 (`Retry-After: 1`) armed by the harness for
GET /me and one for PATCH /me, the SDK's default retries (max_retries=2) make `.get("/me")` and
`.patch("/me", body=...)` succeed after exactly one retry each, and the retried PATCH carries the
same `Idempotency-Key` as the first attempt. Every request the SDK sends is recorded with an
httpx event hook (the SDK's own transport is otherwise untouched).

Env: GATEWAY_URL, BIRD_TOKEN, EXPECT_USER_ID, NEW_NAME.
Prints one JSON line per step; exit 0 iff all passed. The `patch_me_after_503` line carries the
`idempotency_key` the SDK used, so the harness can replay it.
"""

import json
import os
import sys
import time
import warnings

# bird/_generated.py trips a harmless pydantic "shadows an attribute" warning on import.
warnings.filterwarnings("ignore", message="Field name .* shadows an attribute")

import httpx  # noqa: E402
from bird import Bird  # noqa: E402

FAILED = []
SENT = []  # (method, path, idempotency key or None) per attempt
ANSWERED = []  # (method, status, retry-after) per attempt


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"bird_me_faults.py: missing required environment variable {name}")
    return value


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def step(name, fn):
    try:
        out = {"step": name, "ok": True, **(fn() or {})}
    except Exception as e:  # noqa: BLE001 - every failure is reported as a step result
        out = {"step": name, "ok": False, "error": f"{type(e).__name__}: {e}"}
        FAILED.append(name)
    print(json.dumps(out), flush=True)


URL = env("GATEWAY_URL").rstrip("/")
USER_ID = env("EXPECT_USER_ID")
NEW_NAME = env("NEW_NAME")


def on_request(request):
    SENT.append((request.method, request.url.path, request.headers.get("idempotency-key")))


def on_response(response):
    ANSWERED.append((response.request.method, response.status_code, response.headers.get("retry-after")))


HTTP = httpx.Client(event_hooks={"request": [on_request], "response": [on_response]})
CLIENT = Bird(api_key=env("BIRD_TOKEN"), base_url=URL, http_client=HTTP)  # default retries


def attempts(method):
    return [s for s in SENT if s[0] == method], [a for a in ANSWERED if a[0] == method]


def get_me():
    started = time.monotonic()
    user = CLIENT.get("/me")
    elapsed = time.monotonic() - started
    check(isinstance(user, dict) and user.get("id") == USER_ID, f"unexpected user {user!r}")
    sent, answered = attempts("GET")
    statuses = [a[1] for a in answered]
    check(statuses == [503, 200], f"GET statuses {statuses}, want [503, 200]")
    check(answered[0][2] == "1", f"Retry-After {answered[0][2]!r}, want '1'")
    check(elapsed >= 0.9, f"the retry came after {elapsed:.2f}s, before Retry-After")
    return {"attempts": len(sent), "statuses": statuses}


def patch_me():
    user = CLIENT.patch("/me", body={"name": NEW_NAME})
    check(isinstance(user, dict) and user.get("name") == NEW_NAME, f"unexpected user {user!r}")
    sent, answered = attempts("PATCH")
    statuses = [a[1] for a in answered]
    check(statuses == [503, 200], f"PATCH statuses {statuses}, want [503, 200]")
    keys = [s[2] for s in sent]
    check(len(keys) == 2 and keys[0] and keys[0] == keys[1], f"Idempotency-Key per attempt {keys}, want one key twice")
    return {"attempts": len(sent), "statuses": statuses, "idempotency_key": keys[0]}


step("get_me_after_503", get_me)
step("patch_me_after_503", patch_me)

if FAILED:
    sys.exit(f"bird_me_faults.py: FAILED steps: {', '.join(FAILED)}")
