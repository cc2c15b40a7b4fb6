"""deploy/k8s rendered by kustomize, each object checked against the Kubernetes API models, and
the whole checked for what roster needs: probes, autoscaling, budgets, replicas, and every
reference (settings, secrets, volumes, selectors) pointing at an object that exists."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.operations.kube_models import Invalid, checked, model_name

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / ".tools" / "bin" / "kustomize"


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    """Every object `kustomize build deploy/k8s` renders."""
    assert KUSTOMIZE.exists(), "kustomize is built by scripts/ops-tools.sh"
    built = subprocess.run([str(KUSTOMIZE), "build", str(ROOT / "deploy" / "k8s")],
                           capture_output=True, text=True, timeout=60, check=False)
    assert built.returncode == 0, built.stderr
    return [o for o in yaml.safe_load_all(built.stdout) if o]


def _of(rendered: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered if o["kind"] == kind}


def _containers(rendered: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for obj in rendered:
        if obj["kind"] in ("Deployment", "Job"):
            pod = obj["spec"]["template"]["spec"]
            for container in pod["containers"]:
                yield obj["metadata"]["name"], container


def test_every_object_fits_the_kubernetes_api_models(rendered: list[dict[str, Any]]) -> None:
    kinds = {o["kind"] for o in rendered}
    assert kinds >= {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                     "ConfigMap", "Secret", "Job"}
    for obj in rendered:
        checked(obj, model_name(obj), f"{obj['kind']}/{obj['metadata']['name']}")


def test_the_model_check_refuses_an_unknown_field_and_a_missing_one() -> None:
    with pytest.raises(Invalid, match="V1Container has no field imagee"):
        checked({"name": "api", "imagee": "roster"}, "V1Container", "c")
    with pytest.raises(Invalid, match="name"):
        checked({"image": "roster"}, "V1Container", "c")
    with pytest.raises(Invalid, match="int expected"):
        checked({"replicas": "2", "selector": {}, "template": {}}, "V1DeploymentSpec", "s")


def test_every_process_is_deployed_with_probes_and_the_apis_scale_from_2_to_10(
    rendered: list[dict[str, Any]]
) -> None:
    deployments = _of(rendered, "Deployment")
    assert set(deployments) == {"roster-writeapi", "roster-readapi", "roster-relay",
                                "roster-consumer", "roster-exports"}
    for name, container in _containers(rendered):
        if name == "roster-rebuild":
            assert container["args"][0] == "rebuild"
            continue
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready",
                                                          "port": "http"}
        annotations = deployments[name]["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(ports["http"]), name
        assert container["resources"]["requests"], name
        assert container["resources"]["limits"], name
    scaled = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]
              for h in _of(rendered, "HorizontalPodAutoscaler").values()}
    assert set(scaled) == {"roster-writeapi", "roster-readapi"}
    assert all((s["minReplicas"], s["maxReplicas"]) == (2, 10) for s in scaled.values())
    settings = next(iter(_of(rendered, "ConfigMap").values()))["data"]
    assert deployments["roster-relay"]["spec"]["replicas"] == 2, "one active, one standby"
    assert deployments["roster-consumer"]["spec"]["replicas"] == \
        int(settings["ROSTER_KAFKA_PARTITIONS"]), "a consumer per partition"


def test_every_reference_names_an_object_that_exists(rendered: list[dict[str, Any]]) -> None:
    config_maps, secrets = _of(rendered, "ConfigMap"), _of(rendered, "Secret")
    claims = _of(rendered, "PersistentVolumeClaim")
    for name, container in _containers(rendered):
        for source in container["envFrom"]:
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps, name
            else:
                assert source["secretRef"]["name"] in secrets, name
    pods = {o["metadata"]["name"]: o["spec"]["template"] for o in rendered
            if o["kind"] in ("Deployment", "Job")}
    for name, pod in pods.items():
        for volume in pod["spec"].get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, name
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
        mounted = {m["name"] for c in pod["spec"]["containers"] for m in c["volumeMounts"]}
        assert mounted == {v["name"] for v in pod["spec"]["volumes"]}, name

    def selects(selector: dict[str, str]) -> list[str]:
        return [n for n, pod in pods.items()
                if selector.items() <= pod["metadata"]["labels"].items()]

    for service in _of(rendered, "Service").values():
        assert len(selects(service["spec"]["selector"])) == 1, service["metadata"]["name"]
    for budget in _of(rendered, "PodDisruptionBudget").values():
        assert len(selects(budget["spec"]["selector"]["matchLabels"])) == 1
    assert set(_of(rendered, "PodDisruptionBudget")) == {
        "roster-writeapi", "roster-readapi", "roster-relay", "roster-consumer"}
