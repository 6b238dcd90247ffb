"""server.json is valid for the MCP Registry and agrees with the package."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from dockerhub_mcp import __version__

ROOT = Path(__file__).parent.parent


def test_server_json_validates_against_the_registry_schema() -> None:
    """The vendored registry schema accepts server.json with no errors."""
    schema = json.loads((ROOT / "tests/data/server.schema.json").read_text(encoding="utf-8"))
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)

    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message}"
        for e in Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(server)
    ]

    assert [] == errors


def packages() -> dict[str, dict[str, Any]]:
    """server.json's packages by registry type (one of each)."""
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    found = {p["registryType"]: p for p in server["packages"]}
    assert len(found) == len(server["packages"])
    return found


def test_versions_agree_and_the_token_is_marked_secret() -> None:
    """server.json, its package, pyproject and the code carry one version; the token and both keys are secret."""
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package = packages()["pypi"]
    env = {v["name"]: v for v in package["environmentVariables"]}

    assert [__version__] * 3 == [server["version"], package["version"], pyproject["project"]["version"]]
    assert ("pypi", "dockerhub-mcp", "stdio") == (
        package["registryType"],
        package["identifier"],
        package["transport"]["type"],
    )
    secret = {"DOCKERHUB_TOKEN", "DOCKERHUB_MCP_PLAN_KEY", "DOCKERHUB_MCP_HTTP_KEY"}
    assert secret == {name for name, v in env.items() if v.get("isSecret")}
    # The token is not marked required: DOCKERHUB_TOKEN_FILE is the other way to give it, and both at once is refused.
    assert {"DOCKERHUB_USERNAME"} == {name for name, v in env.items() if v.get("isRequired")}
    assert "DOCKERHUB_TOKEN_FILE" in env["DOCKERHUB_TOKEN"]["description"]
    assert f"mcp-name: {server['name']}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_image_is_listed_at_the_package_version_with_the_same_variables() -> None:
    """The OCI package names the image tagged with the package version, speaks stdio, and lists the same variables
    (name, required, secret, format, default) as the PyPI package."""
    found = packages()
    oci, pypi = found["oci"], found["pypi"]

    def shape(package: dict[str, Any]) -> list[tuple[object, ...]]:
        keys = ("name", "isRequired", "isSecret", "format", "default")
        return [tuple(v.get(k) for k in keys) for v in package["environmentVariables"]]

    assert ["oci", "pypi"] == sorted(found)
    assert f"ghcr.io/dockerhub-mcp/dockerhub-mcp:{__version__}" == oci["identifier"]
    assert ("stdio", "docker") == (oci["transport"]["type"], oci["runtimeHint"])
    # The registry refuses `version` and `registryBaseUrl` on an OCI package: the tag in `identifier` says both.
    assert not {"version", "registryBaseUrl", "fileSha256"} & set(oci)
    assert shape(pypi) == shape(oci)
    assert oci["identifier"] in (ROOT / "README.md").read_text(encoding="utf-8")
