"""deploy/kubernetes.yaml: a non-root pod that reads its token from a mounted secret and is probed on /healthz."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from dockerhub_mcp.config import HttpSettings, Settings

ROOT = Path(__file__).parent.parent
SECRET_ENV = {"DOCKERHUB_TOKEN", "DOCKERHUB_MCP_HTTP_KEY", "DOCKERHUB_MCP_PLAN_KEY"}


def manifests() -> dict[str, dict[str, Any]]:
    """The manifest's objects by kind (one of each)."""
    with (ROOT / "deploy" / "kubernetes.yaml").open(encoding="utf-8") as file:
        found = {doc["kind"]: doc for doc in yaml.safe_load_all(file)}
    assert {"Deployment", "Service"} == set(found)
    return found


def pod() -> tuple[dict[str, Any], dict[str, Any]]:
    """The Deployment's pod spec and its one container."""
    spec: dict[str, Any] = manifests()["Deployment"]["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    return spec, container


def server_flags(args: list[str]) -> argparse.Namespace:
    """The container's arguments as the server reads its HTTP flags."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    return parser.parse_args(args)


def dockerfile_uid() -> int:
    """The numeric user the image runs as (`USER uid:gid`)."""
    (uid,) = re.findall(r"^USER (\d+):\d+$", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    return int(uid)


def test_the_pod_runs_as_the_images_non_root_user_on_a_read_only_root() -> None:
    """runAsNonRoot with the Dockerfile's UID, a read-only root filesystem, no privilege escalation, no capabilities."""
    spec, container = pod()
    secured = container["securityContext"]

    assert (True, dockerfile_uid(), dockerfile_uid()) == (
        spec["securityContext"]["runAsNonRoot"],
        spec["securityContext"]["runAsUser"],
        spec["securityContext"]["runAsGroup"],
    )
    assert (True, False, ["ALL"]) == (
        secured["readOnlyRootFilesystem"],
        secured["allowPrivilegeEscalation"],
        secured["capabilities"]["drop"],
    )
    assert False is spec["automountServiceAccountToken"]


def test_the_token_is_a_mounted_secret_file_and_the_key_a_secret_env() -> None:
    """DOCKERHUB_TOKEN_FILE names the file a secret volume mounts; the HTTP key comes from that secret; no literal."""
    spec, container = pod()
    env = {e["name"]: e for e in container["env"]}
    token_file = PurePosixPath(env["DOCKERHUB_TOKEN_FILE"]["value"])
    (mount,) = [m for m in container["volumeMounts"] if token_file.parent == PurePosixPath(m["mountPath"])]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    (item,) = volume["secret"]["items"]
    key_ref = env["DOCKERHUB_MCP_HTTP_KEY"]["valueFrom"]["secretKeyRef"]

    assert (token_file.name, True, 0o440) == (item["path"], mount["readOnly"], volume["secret"]["defaultMode"])
    assert volume["secret"]["secretName"] == key_ref["name"]
    assert "DOCKERHUB_TOKEN" not in env
    assert [] == [name for name in SECRET_ENV & set(env) if "value" in env[name]]


def test_every_variable_is_one_the_server_reads_and_the_server_accepts_them(tmp_path: Path) -> None:
    """Each env name is in server.json's list, and the settings and HTTP settings load from them (secrets filled in)."""
    _, container = pod()
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    known = {v["name"] for p in server["packages"] for v in p["environmentVariables"]}
    token = tmp_path / "token"
    token.write_text("dckr_oat_from_a_secret\n", encoding="utf-8")
    filled = env | {"DOCKERHUB_TOKEN_FILE": str(token), "DOCKERHUB_MCP_HTTP_KEY": "k" * 32}

    settings = Settings.from_env(filled)
    http = HttpSettings.from_env(filled)

    assert set(env) <= known
    assert ("acme", "oat") == (settings.username, settings.token_kind)
    assert manifests()["Service"]["metadata"]["name"] in http.allowed_hosts


def test_the_probes_ask_healthz_on_the_port_the_server_binds() -> None:
    """Both probes GET /healthz on the container port that --port names; the Service targets that port too."""
    _, container = pod()
    flags = server_flags(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    probes = [container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]]
    (service_port,) = manifests()["Service"]["spec"]["ports"]

    assert ("http", "0.0.0.0") == (flags.transport, flags.host)
    assert [("/healthz", flags.port)] * 2 == [(p["path"], ports.get(p["port"], p["port"])) for p in probes]
    assert flags.port == ports.get(service_port["targetPort"], service_port["targetPort"])


def test_the_image_is_the_one_the_registry_entry_lists() -> None:
    """The container runs the OCI image server.json lists, at the package version."""
    _, container = pod()
    server = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    (oci,) = [p["identifier"] for p in server["packages"] if p["registryType"] == "oci"]

    assert oci == container["image"]


def test_one_pod_serves_the_account_even_during_a_rollout_and_its_service_name_is_allowed() -> None:
    """One replica, replaced rather than rolled (sessions and plans live in one process), and the Service's
    cluster-qualified name, in the namespace the manifest names, is an allowed Host."""
    found = manifests()
    deployment, service = found["Deployment"], found["Service"]
    _, container = pod()
    allowed = next(e["value"] for e in container["env"] if e["name"] == "DOCKERHUB_MCP_ALLOWED_HOSTS").split(",")
    namespace = deployment["metadata"]["namespace"]

    assert (1, "Recreate") == (deployment["spec"]["replicas"], deployment["spec"]["strategy"]["type"])
    assert namespace == service["metadata"]["namespace"]
    assert f"{service['metadata']['name']}.{namespace}.svc.cluster.local" in allowed
