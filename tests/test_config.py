"""Configuration errors stop the command before it serves: exit 2 and one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from dockerhub_mcp.cli import main
from dockerhub_mcp.sandbox import SANDBOX_OAT, SANDBOX_TOKEN, SANDBOX_USERNAME, build_sandbox
from helpers import fixed_clock


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DOCKERHUB_USERNAME": "", "DOCKERHUB_TOKEN": "dckr_pat_x"}, "DOCKERHUB_USERNAME"),
        ({"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": " \n"}, "DOCKERHUB_TOKEN"),
        ({"DOCKERHUB_USERNAME": "Demo User", "DOCKERHUB_TOKEN": "dckr_pat_x"}, "DOCKERHUB_USERNAME"),
        (
            {
                "DOCKERHUB_USERNAME": "demo",
                "DOCKERHUB_TOKEN": "dckr_pat_x",
                "DOCKERHUB_API_URL": "http://hub.docker.com",
            },
            "DOCKERHUB_API_URL",
        ),
        (
            {"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": "dckr_pat_x", "DOCKERHUB_READ_ONLY": "maybe"},
            "DOCKERHUB_READ_ONLY",
        ),
        (
            {"DOCKERHUB_USERNAME": "demo", "DOCKERHUB_TOKEN": "dckr_pat_x", "DOCKERHUB_PROTECTED_TAGS": "latest,v/1"},
            "DOCKERHUB_PROTECTED_TAGS",
        ),
    ],
    ids=["no-username", "blank-token", "bad-username", "cleartext-url", "bad-bool", "bad-glob"],
)
def test_bad_configuration_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], env: dict[str, str], named: str
) -> None:
    """Each misconfiguration is refused before any request, in one line on stderr that names it."""
    for name in ("DOCKERHUB_API_URL", "DOCKERHUB_READ_ONLY", "DOCKERHUB_PROTECTED_TAGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    code = main(["--check"])

    out, err = capsys.readouterr()
    assert (2, "") == (code, out)
    assert 1 == len(err.strip().splitlines())
    assert named in err
    assert "dckr_pat_x" not in err


def test_plain_http_is_allowed_to_loopback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """http:// is accepted for 127.0.0.1 (a local sandbox), so the check gets as far as connecting."""
    monkeypatch.setenv("DOCKERHUB_USERNAME", "demo")
    monkeypatch.setenv("DOCKERHUB_TOKEN", "dckr_pat_x")
    monkeypatch.setenv("DOCKERHUB_API_URL", "http://127.0.0.1:9")  # discard port: nothing listens

    code = main(["--check"])

    out, _ = capsys.readouterr()
    assert 1 == code
    assert out.startswith("not ok: Could not connect to Docker Hub")


def test_the_token_can_come_from_a_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """DOCKERHUB_TOKEN_FILE is read (whitespace stripped) and used for the exchange."""
    secret = tmp_path / "token"
    secret.write_text(f"  {SANDBOX_TOKEN}\n", encoding="utf-8")
    monkeypatch.setenv("DOCKERHUB_USERNAME", SANDBOX_USERNAME)
    monkeypatch.delenv("DOCKERHUB_TOKEN", raising=False)
    monkeypatch.setenv("DOCKERHUB_TOKEN_FILE", str(secret))
    monkeypatch.setenv("DOCKERHUB_API_URL", "https://hub.sandbox.test")

    code = main(["--check"], transport=httpx2.ASGITransport(app=build_sandbox(clock=fixed_clock()).app))

    out, _ = capsys.readouterr()
    assert (0, "ok: signed in to https://hub.sandbox.test as demo with a personal access token\n") == (code, out)


@pytest.mark.parametrize("problem", ["missing", "both"])
def test_a_token_file_problem_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, problem: str
) -> None:
    """An unreadable token file, or a token given twice, stops the command with one line."""
    monkeypatch.setenv("DOCKERHUB_USERNAME", "demo")
    monkeypatch.setenv("DOCKERHUB_TOKEN_FILE", str(tmp_path / "absent"))
    if problem == "both":
        monkeypatch.setenv("DOCKERHUB_TOKEN", "dckr_pat_x")
    else:
        monkeypatch.delenv("DOCKERHUB_TOKEN", raising=False)

    code = main(["--check"])

    _, err = capsys.readouterr()
    assert 2 == code
    assert "DOCKERHUB_TOKEN_FILE" in err


@pytest.mark.parametrize(
    ("token", "kind", "expected"),
    [
        (SANDBOX_OAT, None, "organization access token"),
        (SANDBOX_OAT, "oat", "organization access token"),
        ("acme-token-without-a-prefix", "oat", "organization access token"),
    ],
    ids=["by-prefix", "said-and-prefixed", "said-only"],
)
def test_an_organization_access_token_is_exchanged_as_the_organization(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str, kind: str | None, expected: str
) -> None:
    """`dckr_oat_` or DOCKERHUB_TOKEN_KIND=oat: the username is the organization; --check names the kind."""
    sandbox = build_sandbox(clock=fixed_clock())
    if token != SANDBOX_OAT:
        sandbox.state.add_oat("acme", token)
    monkeypatch.setenv("DOCKERHUB_USERNAME", "acme")
    monkeypatch.setenv("DOCKERHUB_TOKEN", token)
    monkeypatch.setenv("DOCKERHUB_API_URL", "https://hub.sandbox.test")
    monkeypatch.delenv("DOCKERHUB_TOKEN_FILE", raising=False)
    if kind is None:
        monkeypatch.delenv("DOCKERHUB_TOKEN_KIND", raising=False)
    else:
        monkeypatch.setenv("DOCKERHUB_TOKEN_KIND", kind)

    code = main(["--check"], transport=httpx2.ASGITransport(app=sandbox.app))

    out, _ = capsys.readouterr()
    assert (0, f"ok: signed in to https://hub.sandbox.test as acme with an {expected}\n") == (code, out)
    assert [("POST", "/v2/auth/token")] == [(r.method, r.path) for r in sandbox.requests]


@pytest.mark.parametrize(
    ("token", "kind", "says"),
    [
        ("dckr_pat_x", "oat", "DOCKERHUB_TOKEN_KIND is oat but DOCKERHUB_TOKEN holds a personal access token"),
        (SANDBOX_OAT, "pat", "DOCKERHUB_TOKEN_KIND is pat but DOCKERHUB_TOKEN holds an organization access token"),
        ("dckr_pat_x", "team", "DOCKERHUB_TOKEN_KIND must be pat or oat"),
    ],
    ids=["oat-said-pat-given", "pat-said-oat-given", "unknown-kind"],
)
def test_a_token_kind_that_contradicts_the_token_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], token: str, kind: str, says: str
) -> None:
    """A kind that cannot be right stops the command with one line, never echoing the token."""
    monkeypatch.setenv("DOCKERHUB_USERNAME", "acme")
    monkeypatch.setenv("DOCKERHUB_TOKEN", token)
    monkeypatch.setenv("DOCKERHUB_TOKEN_KIND", kind)

    code = main(["--check"])

    _, err = capsys.readouterr()
    assert 2 == code
    assert says in err and token not in err


def test_the_sandbox_runs_as_the_organization_with_token_kind_oat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--sandbox --token-kind oat` signs in as acme with its OAT; the PAT account stays the default."""
    monkeypatch.delenv("DOCKERHUB_TOKEN_KIND", raising=False)

    as_org = main(["--sandbox", "--token-kind", "oat", "--check"])
    org_out = capsys.readouterr().out
    as_user = main(["--sandbox", "--check"])
    user_out = capsys.readouterr().out

    assert (0, 0) == (as_org, as_user)
    assert "as acme with an organization access token" in org_out
    assert "as demo with a personal access token" in user_out
