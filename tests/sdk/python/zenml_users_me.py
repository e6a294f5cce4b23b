"""ZenML Pro client (PyPI zenml 0.98.0) against the gateway's `users-me` surface.

Proves snake.md scenario 31: with ZENML_PRO_API_URL=<gateway> and the API key stored
via `set_api_key(url, key, is_zenml_pro=True)`, `ZenMLProClient(url).get("/users/me")`
logs in (POST /auth/login) and returns the user; `.patch("/users/me", body=<pydantic
model>)` returns the updated user; with an unknown key the first call raises
`CredentialsNotValid`.

Env: GATEWAY_URL, ZENML_API_KEY (ZENPROKEY_...), EXPECT_USER_ID, NEW_NAME,
NEW_JOB_TITLE. Prints one JSON line per step; exit 0 iff all passed.
"""

import atexit
import json
import os
import shutil
import sys
import tempfile
import uuid
from typing import Optional

FAILED = []


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"zenml_users_me.py: missing required environment variable {name}")
    return value


URL = env("GATEWAY_URL").rstrip("/")  # the client concatenates url + path
KEY = env("ZENML_API_KEY")
USER_ID = env("EXPECT_USER_ID")
NEW_NAME = env("NEW_NAME")
NEW_JOB_TITLE = env("NEW_JOB_TITLE")

# zenml reads these at import time: keep it offline, quiet and out of ~/.config/zenml.
CONFIG_DIR = tempfile.mkdtemp(prefix="zenml-sdk-test-")
atexit.register(shutil.rmtree, CONFIG_DIR, True)
os.environ.update({
    "ZENML_PRO_API_URL": URL,
    "ZENML_CONFIG_PATH": CONFIG_DIR,
    "ZENML_ANALYTICS_OPT_IN": "false",
    "ZENML_LOGGING_VERBOSITY": "ERROR",
    "ZENML_ENABLE_RICH_TRACEBACK": "false",
    "ZENML_LOGGING_COLORS_DISABLED": "true",
})

from zenml.exceptions import CredentialsNotValid  # noqa: E402
from zenml.login.credentials_store import get_credentials_store  # noqa: E402
from zenml.login.pro.client import ZenMLProClient  # noqa: E402
from zenml.login.pro.models import BaseRestAPIModel  # noqa: E402


class UserPatch(BaseRestAPIModel):
    """PATCH body; the client sends model_dump(mode="json", exclude_unset=True)."""

    name: Optional[str] = None
    job_title: Optional[str] = None


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


def fresh_client(api_key):
    """Store the key (set_api_key drops any token of a different key) and drop the
    process-wide ZenMLProClient singleton, so the next call logs in again."""
    get_credentials_store().set_api_key(URL, api_key, is_zenml_pro=True)
    ZenMLProClient._clear()
    return ZenMLProClient(URL)


def check_user(user, **want):
    check(isinstance(user, dict), f"response is {type(user).__name__}, not a dict")
    for field, value in {"id": USER_ID, **want}.items():
        check(user.get(field) == value, f"{field}: got {user.get(field)!r}, want {value!r}")


def get_me():
    user = fresh_client(KEY).get("/users/me")
    check_user(user)
    token = get_credentials_store().get_pro_token(URL)
    check(token is not None, "no access token stored after login")
    return {"id": user["id"], "username": user.get("username"), "expires_in": token.expires_in}


def patch_me():
    user = ZenMLProClient(URL).patch("/users/me", body=UserPatch(name=NEW_NAME, job_title=NEW_JOB_TITLE))
    check_user(user, name=NEW_NAME, job_title=NEW_JOB_TITLE)
    return {"name": user["name"], "job_title": user["job_title"]}


def get_me_after_patch():
    user = ZenMLProClient(URL).get("/users/me")
    check_user(user, name=NEW_NAME, job_title=NEW_JOB_TITLE)
    return {"name": user["name"], "job_title": user["job_title"]}


def unknown_key():
    client = fresh_client("ZENPROKEY_unknown_" + uuid.uuid4().hex)
    try:
        result = client.get("/users/me")
    except CredentialsNotValid as e:
        return {"error": f"{type(e).__name__}: {e}"}
    raise AssertionError(f"expected CredentialsNotValid, call returned {result!r}")


step("get_users_me", get_me)
step("patch_users_me", patch_me)
step("get_users_me_after_patch", get_me_after_patch)
step("unknown_key_credentials_not_valid", unknown_key)

if FAILED:
    sys.exit(f"zenml_users_me.py: FAILED steps: {', '.join(FAILED)}")
