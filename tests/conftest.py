"""Shared test fixtures: run the order flow with spans captured in memory."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from simulate.report.logs import MemoryLog
from simulate.tracing.providers import Telemetry
from simulate.world.clock import Clock, VirtualClock
from simulate.world.profile import SEED_PROFILE, Profile
from simulate.world.scenarios import SCENARIOS
from simulate.world.services.base import Runtime
from simulate.world.system import OrderOutcome, System, build_system, place_order

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FlowRun:
    spans: list[ReadableSpan]
    log: MemoryLog
    outcome: OrderOutcome
    system: System

    def by_name(self, name: str, service: str | None = None) -> ReadableSpan:
        found = [s for s in self.spans if s.name == name
                 and (service is None or s.resource.attributes["service.name"] == service)]
        assert len(found) == 1, f"expected one {name!r} span, got {len(found)}"
        return found[0]

    def parent_of(self, span: ReadableSpan) -> ReadableSpan | None:
        if span.parent is None:
            return None
        return next((s for s in self.spans if s.context.span_id == span.parent.span_id), None)


def run_flow(scenario: str = "none", clock: Clock | None = None, profile: Profile = SEED_PROFILE,
             headers: dict | None = None, sampler=None, consume: bool = False,
             **runtime_kwargs) -> FlowRun:
    exporter = InMemorySpanExporter()
    telemetry = Telemetry([SimpleSpanProcessor(exporter)], sampler=sampler)
    log = MemoryLog()
    runtime = Runtime(telemetry=telemetry, clock=clock or VirtualClock(), log=log, profile=profile,
                      **runtime_kwargs)
    system = build_system(runtime, SCENARIOS[scenario])
    outcome = place_order(system, headers=headers)
    runtime.clock.drain()
    if consume:
        system.email_worker.poll()
    telemetry.shutdown()
    return FlowRun(list(exporter.get_finished_spans()), log, outcome, system)


@pytest.fixture
def flow():
    return run_flow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_main(*args: str, env: dict | None = None, timeout: float = 60,
             input_text: str | None = None) -> subprocess.CompletedProcess:
    """``python main.py ARGS`` as a user runs it, with a clean OTEL_* environment."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=clean_env(env),
                          capture_output=True, text=True, timeout=timeout, input=input_text)


def clean_env(env: dict | None = None) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    clean.update(env or {})
    clean.setdefault("PYTHONIOENCODING", "utf-8")
    # Prose wraps to the width, in a pipe too: wide enough that a test finds a sentence on
    # one line (tests/test_widths.py checks the wrapping itself, at 60, 80 and 120).
    clean["COLUMNS"] = (env or {}).get("COLUMNS", "1000")
    return clean


class Running:
    """``python main.py ARGS`` in the background: its output read as it comes, signals sent."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                                     env=clean_env(env), text=True, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(name, getattr(self.proc, name)),
                                          daemon=True) for name in self.lines]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream) -> None:
        for line in stream:
            with self._cond:
                self.lines[name].append(line)
                self._cond.notify_all()

    def text(self, name: str = "stdout") -> str:
        with self._cond:
            return "".join(self.lines[name])

    def wait_for(self, needle: str, name: str = "stdout", timeout_s: float = 30.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: needle in "".join(self.lines[name]), timeout_s):
                raise AssertionError(f"{needle!r} not on {name} in time: {self.lines!r}")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout_s: float = 60.0) -> int:
        status = self.proc.wait(timeout_s)
        for reader in self._readers:
            reader.join(5)
        return status


@pytest.fixture
def jaeger_ui():
    """The address of something listening where a Jaeger UI would (a run prints a trace link
    only when one answers there)."""
    with socket.socket() as ui:
        ui.bind(("127.0.0.1", 0))
        ui.listen()
        yield f"http://127.0.0.1:{ui.getsockname()[1]}"


def viewport(driver, width: int, height: int) -> None:
    """The page area (what a screenshot holds) at exactly this size; a window alone cannot
    be narrower than 500 px."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


# .ci/run sets this: there a missing browser is a failure, never a silent skip.
REQUIRE_BROWSER = "ORDERTRACE_REQUIRE_BROWSER"


def browser_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) when both are installed, else None."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium driven by Selenium, one per test module (starting one costs ~1 s).
    Skipped with one line when Chromium or chromedriver is missing (a fresh machine without
    root); with ORDERTRACE_REQUIRE_BROWSER=1 (.ci/run) a missing browser fails instead."""
    paths = browser_paths()
    if paths is None:
        reason = ("no chromium and chromedriver on PATH (Debian: apt-get install chromium "
                  "chromium-driver)")
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(f"{REQUIRE_BROWSER}=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(arg)
    options.binary_location = paths[0]
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    driver.set_window_size(1280, 900)
    viewport(driver, 1280, 800)
    yield driver
    driver.quit()
