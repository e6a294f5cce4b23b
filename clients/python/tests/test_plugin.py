"""The plugin itself: failure messages of the journal assertions, markers and ini keys (in inner
pytest sessions that attach to this session's gateway), starting and stopping the binary."""

import textwrap
from pathlib import Path

import httpx
import pytest

from gateway_testkit import GatewayError, GatewayProcess, GatewayStartError, attach, find_binary


def get_me(gateway, creds, method="GET", json=None):
    res = httpx.request(method, f"{gateway.url}/me", json=json, trust_env=False,
                        headers={"Authorization": f"Bearer {creds.me.access_token}"})
    assert res.status_code == 200, res.text


# ---- journal assertions --------------------------------------------------------------------


def test_a_failed_assertion_lists_the_near_misses(gateway, gateway_user):
    mark = gateway.journal_mark()
    get_me(gateway, gateway_user)
    [entry] = gateway.find(surface="me", since=mark)
    with pytest.raises(AssertionError) as failed:
        gateway.assert_requested(count=1, surface="me", method="PATCH", path="/me",
                                 json={"name": "Ada"}, since=mark)
    message = str(failed.value)
    assert message.startswith('expected exactly 1 request matching {"surface": "me", '
                              '"method": "PATCH", "path": "/me"'), message
    assert ", found 0\nnear misses (fewest differences first, then newest):\n" in message
    assert f"  #{entry['id']} GET /me -> 200 [me]\n" in message
    assert "      method: wanted PATCH, got GET\n" in message
    assert '      body[0]: wanted {"contains_json": {"name": "Ada"}}, got (none)' in message


def test_a_wrong_count_lists_the_matches(gateway, gateway_user):
    mark = gateway.journal_mark()
    get_me(gateway, gateway_user)
    get_me(gateway, gateway_user)
    with pytest.raises(AssertionError, match=r"found 2\nmatching requests \(newest first\):\n"
                                             r"  #\d+ GET /me -> 200 \[me\]\n  #\d+ GET"):
        gateway.assert_requested(count=1, surface="me", path="/me", since=mark)
    assert len(gateway.assert_requested(count=2, surface="me", path="/me", since=mark)) == 2
    with pytest.raises(AssertionError, match="expected no request matching"):
        gateway.assert_not_requested(surface="me", since=mark)


def test_no_part_matching_shows_the_newest_requests(gateway, gateway_user):
    mark = gateway.journal_mark()
    get_me(gateway, gateway_user)
    with pytest.raises(AssertionError, match=r"no request matches any part of the pattern; "
                                             r"the newest of 1:\n  #\d+ GET /me"):
        gateway.assert_requested(surface="platform", since=mark)


def test_a_refused_pattern_names_the_field(gateway):
    with pytest.raises(GatewayError) as refused:
        gateway.count(headers={"accept": {"matches": "("}})
    assert refused.value.status == 422
    assert refused.value.body["error"]["issues"][0]["field"] == "headers.accept.matches"


def test_the_journal_reads_back_and_clears(gateway, gateway_user):
    get_me(gateway, gateway_user, "PATCH", {"name": "Journal"})
    [newest] = gateway.journal(surface="me", limit=1)
    assert newest["request"]["method"] == "PATCH"
    assert gateway.count(surface="me", json={"name": "Journal"}) >= 1
    gateway.clear_journal(surface="me")
    assert gateway.journal(surface="me") == []


# ---- outbox ----------------------------------------------------------------------------------


def test_a_password_reset_link_is_read_from_the_outbox(gateway):
    """The tiered surface mails a reset code; the test reads the link and resets the password."""
    creds = gateway.create_user_with_credentials(email="reset-me@example.com",
                                                 password="original-password")
    project = creds.project
    headers = {"x-stack-access-type": "client", "x-stack-project-id": project.id,
               "x-stack-publishable-client-key": project.publishable_client_key}
    api = f"{gateway.url}/api/v1/auth/password"
    res = httpx.post(f"{api}/send-reset-code", headers=headers, trust_env=False,
                     json={"email": "reset-me@example.com",
                           "callback_url": "http://localhost:3000/reset"})
    assert res.status_code == 200, res.text
    mail = gateway.wait_for_mail("reset-me@example.com", kind="password_reset")
    assert mail["subject"] == "Reset your password at gateway-testkit"
    link = gateway.mail_link(mail, "http://localhost:3000/reset")
    code = httpx.URL(link).params["code"]
    res = httpx.post(f"{api}/reset", headers=headers, trust_env=False,
                     json={"code": code, "password": "a-new-password"})
    assert res.status_code == 200, res.text
    res = httpx.post(f"{api}/sign-in", headers=headers, trust_env=False,
                     json={"email": "reset-me@example.com", "password": "a-new-password"})
    assert res.status_code == 200, res.text
    gateway.clear_outbox()
    with pytest.raises(AssertionError) as none:
        gateway.wait_for_mail("reset-me@example.com", timeout=0.1)
    assert "no mail to reset-me@example.com; the outbox holds:\n  nothing" in str(none.value)


def test_device_logins_are_approved_and_denied(gateway):
    user = gateway.create_user("device-py")
    start = lambda: httpx.post(f"{gateway.url}/api/v1/auth/device/code", trust_env=False).json()
    poll = lambda code: httpx.get(f"{gateway.url}/api/v1/auth/device/code/{code}", trust_env=False)
    cli = start()
    assert cli["user_code"] in [d["user_code"] for d in gateway.device_logins()]
    assert gateway.approve_device_login(user, cli["user_code"])["state"] == "approved"
    res = poll(cli["device_code"])
    assert res.status_code == 200 and res.json()["user_id"] == user.id, res.text
    other = start()
    gateway.deny_device_login(other["user_code"])
    assert poll(other["device_code"]).status_code == 403
    with pytest.raises(AssertionError) as none:
        gateway.wait_for_device_login("BCDF-GHJK", timeout=0.1)
    assert "no pending device login with code BCDF-GHJK" in str(none.value)


# ---- inner sessions attached to this gateway -----------------------------------------------


@pytest.fixture
def inner(pytester, gateway, monkeypatch):
    """Runs an inner pytest session attached to this session's gateway."""
    monkeypatch.setenv("GATEWAY_URL", gateway.url)
    monkeypatch.setenv("GATEWAY_ADMIN_TOKEN", gateway.admin_token)
    monkeypatch.delenv("GATEWAY_BIN", raising=False)
    pytester.makefile(".yaml", alice=(Path(__file__).parent / "fixtures/alice.yaml").read_text())

    def run(source, *args):
        pytester.makepyfile(test_inner=textwrap.dedent(source))
        return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    return run


def test_markers_reset_and_load_fixtures(inner, gateway):
    result = inner(f"""
        import pytest
        from dreadnode.app.api.client import ApiClient

        def names(gateway):
            return [u["username"] for u in gateway.call("GET", "/users")]

        def test_attached(gateway_server):
            assert gateway_server.process is None and gateway_server.url == "{gateway.url}"

        def test_create(gateway):
            gateway.create_user("inner-a")
            assert "inner-a" in names(gateway)

        @pytest.mark.gateway_reset
        def test_reset_before(gateway):
            assert "inner-a" not in names(gateway)

        @pytest.mark.gateway_fixtures("alice.yaml")
        def test_fixtures(gateway):
            key = "dn_0123456789abcdef_alice-platform-secret"
            assert ApiClient(gateway.url, api_key=key).get_user().username == "alice"
            gateway.assert_requested(count=1, surface="platform", path="/api/v1/user")

        def test_fixtures_gone_after(gateway):
            assert "alice" not in names(gateway)
    """)
    result.assert_outcomes(passed=5)


def test_the_reset_ini_key(inner):
    result = inner("""
        def test_one(gateway):
            gateway.create_user("inner-each")

        def test_two(gateway):
            assert gateway.call("GET", "/users") == []
            assert gateway.journal() == []
    """, "-o", "gateway_reset=each")
    result.assert_outcomes(passed=2)


def test_a_failure_reads_well_in_the_report(inner):
    result = inner("""
        def test_fails(gateway):
            gateway.assert_requested(count=1, method="PATCH", path="/nowhere", since=10**9)
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        '*AssertionError: expected exactly 1 request matching {"method": "PATCH", '
        '"path": "/nowhere", "since": 1000000000}, found 0',
        "*the journal holds no request after that id"])


# ---- the process -----------------------------------------------------------------------------


@pytest.fixture
def binary(gateway_server):
    if gateway_server.process is None:
        pytest.skip("attached to a running gateway: no binary to start")
    return gateway_server.process.binary


def test_a_process_starts_on_its_own_port_and_stops(binary, gateway):
    process = GatewayProcess(binary)
    server = process.start()
    assert server.url != gateway.url
    assert httpx.get(f"{server.url}/readyz", trust_env=False).status_code == 200
    child, workdir = process._child, process.log_path.parent
    process.stop()
    assert child.poll() is not None and not workdir.exists()
    with pytest.raises(GatewayStartError, match="is not ready"):
        attach(server.url, server.admin_token)


def test_a_bad_setting_fails_the_start_with_the_log(binary):
    with pytest.raises(GatewayStartError, match=r"(?s)serve exited \(1\):.*no_such_key"):
        GatewayProcess(binary, settings={"server.no_such_key": 1}).start()


def test_a_wrong_binary_path_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("GATEWAY_BIN", str(tmp_path / "nope"))
    with pytest.raises(GatewayStartError, match="GATEWAY_BIN=.*nope is not an executable"):
        find_binary()
