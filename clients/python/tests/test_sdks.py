"""The published vendor SDKs (pinned in tests/sdk/python/requirements.txt) driven through the
plugin's fixtures: credentials from `gateway_user`, faults from `gateway.inject_fault`, and the
wire checked with `gateway.assert_requested`."""

import time

import httpx
import pytest

from gateway_testkit import present

# ---- dreadnode (platform) ------------------------------------------------------------------


def test_dreadnode_get_user_with_an_api_key(gateway, gateway_user):
    from dreadnode.app.api.client import ApiClient

    mark = gateway.journal_mark()
    user = ApiClient(gateway.url, api_key=gateway_user.platform.api_key).get_user()
    assert (user.id, user.username, user.email_address) == (
        gateway_user.user.id, gateway_user.user.username, gateway_user.user.email)
    [entry] = gateway.assert_requested(count=1, surface="platform", method="GET",
                                       path="/api/v1/user", status=200,
                                       headers={"x-api-key": present()}, since=mark)
    assert entry["request"]["headers"]["x-api-key"] == "[redacted]"


def test_dreadnode_sees_an_injected_429_once(gateway, gateway_user):
    from dreadnode.app.api.client import ApiClient

    fault = gateway.inject_fault(surface="platform", user=gateway_user.user.id, status=429,
                                 message="Rate limited", count=1)
    client = ApiClient(gateway.url, api_key=gateway_user.platform.api_key)
    with pytest.raises(RuntimeError, match="^429: Rate limited$"):
        client.get_user()
    assert client.get_user().id == gateway_user.user.id
    [rule] = [f for f in gateway.faults() if f.id == fault.id]
    assert (rule.raw["fired"], rule.raw["remaining"]) == (1, 0)
    gateway.remove_fault(fault)
    assert fault.id not in [f.id for f in gateway.faults()]


# ---- zenml (users-me) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def zenml(gateway, tmp_path_factory):
    """zenml reads its settings when imported: point it at the gateway and a scratch config
    directory first."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "ZENML_PRO_API_URL": gateway.url,
            "ZENML_CONFIG_PATH": str(tmp_path_factory.mktemp("zenml")),
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_LOGGING_VERBOSITY": "ERROR",
            "ZENML_ENABLE_RICH_TRACEBACK": "false",
        }.items():
            mp.setenv(name, value)
        from zenml.login.credentials_store import get_credentials_store
        from zenml.login.pro.client import ZenMLProClient

        def client(api_key):
            get_credentials_store().set_api_key(gateway.url, api_key, is_zenml_pro=True)
            ZenMLProClient._clear()
            return ZenMLProClient(gateway.url)

        yield client


def test_zenml_logs_in_and_patches_the_user(gateway, gateway_user, zenml):
    from zenml.login.pro.models import BaseRestAPIModel

    class UserPatch(BaseRestAPIModel):
        name: str
        job_title: str

    mark = gateway.journal_mark()
    client = zenml(gateway_user.users_me.api_key)
    assert client.get("/users/me")["id"] == gateway_user.user.id
    patched = client.patch("/users/me", body=UserPatch(name="Ada", job_title="Engineer"))
    assert (patched["name"], patched["job_title"]) == ("Ada", "Engineer")
    gateway.assert_requested(count=1, surface="users-me", method="POST", path="/auth/login",
                             status=200, since=mark)
    gateway.assert_requested(count=1, surface="users-me", method="PATCH", path="/users/me",
                             json={"name": "Ada", "job_title": "Engineer"}, since=mark)
    assert gateway.user(gateway_user.user).raw["display_name"] == "Ada"


# ---- bird (me) -----------------------------------------------------------------------------


def test_bird_patches_me_with_a_token(gateway, gateway_user):
    from bird import Bird

    mark = gateway.journal_mark()
    client = Bird(api_key=gateway_user.me.access_token, base_url=gateway.url, max_retries=0)
    assert client.get("/me")["id"] == gateway_user.user.id
    body = {"name": "Ada Lovelace", "locale": "en-GB", "timezone": "Europe/London"}
    patched = client.patch("/me", body=body)
    assert {k: patched[k] for k in body} == body
    gateway.assert_requested(count=1, surface="me", method="PATCH", path="/me", status=200,
                             body=[{"pointer": "/name", "equal_to": "Ada Lovelace"}],
                             since=mark)
    gateway.assert_not_requested(surface="me", method="DELETE", since=mark)


def test_bird_retries_through_an_injected_503(gateway, gateway_user):
    from bird import Bird

    gateway.inject_fault(surface="me", method="GET", user=gateway_user.user.username,
                         status=503, retry_after=1, count=1)
    mark = gateway.journal_mark()
    started = time.monotonic()
    client = Bird(api_key=gateway_user.me.access_token, base_url=gateway.url)
    assert client.get("/me")["id"] == gateway_user.user.id
    assert time.monotonic() - started >= 1.0, "the SDK waits the advised Retry-After"
    attempts = gateway.assert_requested(count=2, surface="me", method="GET", path="/me",
                                        since=mark)
    assert [a["response"]["status"] for a in attempts] == [200, 503]  # newest first
    assert attempts[1]["fault"] is not None


# ---- tiered (users): the minted session, read over plain HTTP ------------------------------


def test_the_tiered_session_reads_its_user(gateway, gateway_user):
    mark = gateway.journal_mark()
    headers = {
        "x-stack-project-id": gateway_user.project.id,
        "x-stack-access-type": "client",
        "x-stack-publishable-client-key": gateway_user.project.publishable_client_key,
        "x-stack-access-token": gateway_user.session.access_token,
    }
    res = httpx.get(f"{gateway.url}/api/v1/users/me", headers=headers, trust_env=False)
    assert res.status_code == 200, res.text
    assert res.json()["id"] == gateway_user.user.id
    gateway.assert_requested(count=1, surface="users", route="/api/v1/users/me",
                             headers={"x-stack-access-type": "client"},
                             since=mark)
