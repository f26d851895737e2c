"""deploy/: the compose file and the collector config parse, and the pipeline is connected."""
from __future__ import annotations

from urllib.parse import urlparse

import yaml

from conftest import ROOT
from simulate.tracing.settings import DEFAULT_ENDPOINTS

DEPLOY = ROOT / "deploy"


def load(name: str) -> dict:
    return yaml.safe_load((DEPLOY / name).read_text())


def host_port(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def published(service: dict) -> set[int]:
    return {int(str(p).split(":")[0]) for p in service.get("ports", [])}


def test_every_collector_receiver_reaches_an_exporter():
    cfg = load("otel-collector.yaml")
    pipelines = cfg["service"]["pipelines"]
    defined = {kind: set(cfg.get(kind) or {}) for kind in ("receivers", "processors", "exporters",
                                                            "connectors")}
    for name, p in pipelines.items():
        assert set(p["receivers"]) <= defined["receivers"] | defined["connectors"], name
        assert set(p.get("processors", [])) <= defined["processors"], name
        assert set(p["exporters"]) <= defined["exporters"] | defined["connectors"], name
    # Follow the graph: receiver -> pipeline -> exporter, connectors bridging pipelines.
    reaches_exporter: dict[str, bool] = {}

    def pipeline_ends_in_exporter(name: str, seen=frozenset()) -> bool:
        for out in pipelines[name]["exporters"]:
            if out in defined["exporters"]:
                return True
            nxt = [n for n, q in pipelines.items() if out in q["receivers"] and n not in seen]
            if any(pipeline_ends_in_exporter(n, seen | {name}) for n in nxt):
                return True
        return False

    for receiver in defined["receivers"]:
        using = [n for n, p in pipelines.items() if receiver in p["receivers"]]
        reaches_exporter[receiver] = bool(using) and all(pipeline_ends_in_exporter(n) for n in using)
    assert reaches_exporter == {r: True for r in defined["receivers"]}
    for connector in defined["connectors"]:  # used on both sides, or it connects nothing
        assert any(connector in p["exporters"] for p in pipelines.values())
        assert any(connector in p["receivers"] for p in pipelines.values())
    assert "debug" in pipelines["traces"]["exporters"]


def test_ports_match_what_main_py_uses_and_the_compose_publishes():
    cfg, compose = load("otel-collector.yaml"), load("docker-compose.yaml")
    services = compose["services"]
    protocols = cfg["receivers"]["otlp"]["protocols"]
    grpc_port = host_port(protocols["grpc"]["endpoint"])[1]
    http_port = host_port(protocols["http"]["endpoint"])[1]
    assert grpc_port == urlparse(DEFAULT_ENDPOINTS["grpc"]).port == 4317
    assert http_port == urlparse(DEFAULT_ENDPOINTS["http/protobuf"]).port == 4318
    assert {grpc_port, http_port} <= published(services["otel-collector"])
    assert 16686 in published(services["jaeger"])


def test_the_collector_sends_to_the_jaeger_service_of_the_compose_file():
    cfg, compose = load("otel-collector.yaml"), load("docker-compose.yaml")
    host, port = host_port(cfg["exporters"]["otlp/jaeger"]["endpoint"])
    jaeger = compose["services"][host]
    assert jaeger["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert str(port) in [str(p) for p in jaeger.get("expose", [])] or port in published(jaeger)
    # and Prometheus scrapes the collector's span metrics where they are served
    prom = load("prometheus.yaml")
    [target] = prom["scrape_configs"][0]["static_configs"][0]["targets"]
    target_host, target_port = host_port(target)
    assert target_host in compose["services"]
    assert host_port(cfg["exporters"]["prometheus"]["endpoint"])[1] == target_port
    url = urlparse(jaeger["environment"]["PROMETHEUS_SERVER_URL"])
    assert url.hostname == "prometheus" and url.port == 9090


def test_mounted_config_files_exist_and_images_are_pinned():
    compose = load("docker-compose.yaml")
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert (DEPLOY / source).resolve().is_file(), (name, source)
