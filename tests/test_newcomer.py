"""What misled a newcomer's first hour, each as a real run: the Jaeger link, the hint to
add --html when --html was given, a late single run, a bad OTEL_RESOURCE_ATTRIBUTES."""
from __future__ import annotations

import socket

import pytest

from conftest import free_port, run_flow, run_main
from simulate.receiver import OtlpReceiver


def test_no_jaeger_link_after_exporting_to_the_bundled_receiver():
    with OtlpReceiver() as receiver:
        result = run_main("--speed", "0", "--no-view", "--endpoint", receiver.endpoint,
                          "--jaeger-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 0 and "📤 Exported 11 spans" in result.stdout
    assert "🔗" not in result.stdout and "/trace/" not in result.stdout
    assert "No Jaeger UI answers at http://127.0.0.1:" in result.stdout


def test_the_jaeger_link_when_a_ui_answers_there():
    with socket.socket() as ui, OtlpReceiver() as receiver:
        ui.bind(("127.0.0.1", 0))
        ui.listen()
        url = f"http://127.0.0.1:{ui.getsockname()[1]}"
        result = run_main("--speed", "0", "--no-view", "--fail", "payment",
                          "--endpoint", receiver.endpoint, "--jaeger-url", url)
    assert f"🔗 Jaeger: {url}/trace/" in result.stdout
    assert f"In Jaeger: open {url}/trace/" in result.stdout


def test_the_diagnosis_points_at_the_page_when_html_is_given(tmp_path):
    page = tmp_path / "trace.html"
    result = run_main("--no-export", "--speed", "0", "--no-view", "--fail", "payment", "--html", str(page))
    assert f"click through them on the trace page, {page}." in " ".join(result.stdout.split())
    assert "add --html" not in result.stdout
    plain = run_main("--no-export", "--speed", "0", "--no-view", "--fail", "payment")
    assert "add --html trace.html" in plain.stdout


def test_a_single_run_whose_waits_ended_late_says_so(monkeypatch, capsys):
    """The machine is made late for real: each wait of the real clock ends 12 ms after it
    should (a busy machine's scheduler, reproduced by sleeping past the deadline)."""
    from simulate.cli import main
    from simulate.world import clock as clocks

    real_sleep_until = clocks.RealClock.sleep_until

    def late(self, t_ns):
        real_sleep_until(self, t_ns + int(12e6))  # wakes 12 simulated ms late; the clock sees it

    monkeypatch.setattr(clocks.RealClock, "sleep_until", late)
    assert main(["--no-export", "--no-view", "--speed", "10"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "⚠ this machine could not keep up: the simulation's waits ended" in err
    assert "the slowest step may be wrong" in err


def test_an_on_time_single_run_says_nothing_about_the_machine():
    result = run_main("--no-export", "--no-view", "--speed", "0")
    assert "could not keep up" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", [(), ("serve",)])
@pytest.mark.parametrize("value", ["=,,x", "a=b,", "service.version", "=v"])
def test_a_bad_resource_attributes_variable_is_one_line_and_exit_2(command, value):
    result = run_main(*command, "--no-export", env={"OTEL_RESOURCE_ATTRIBUTES": value})
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert "OTEL_RESOURCE_ATTRIBUTES: entry" in line and "is not key=value" in line


def test_a_good_resource_attributes_variable_reaches_the_spans():
    """Percent-encoded values decoded, on every service's resource."""
    env = {"OTEL_RESOURCE_ATTRIBUTES": "team=checkout,region=eu%2Dwest"}
    with OtlpReceiver() as receiver:
        assert run_main("--speed", "0", "--no-view", "--endpoint", receiver.endpoint, env=env).returncode == 0
        assert receiver.wait_for_spans(11)
        resources = [received.resource for received in receiver.spans()]
    assert len({r["service.name"] for r in resources}) == 5
    assert all(r["team"] == "checkout" and r["region"] == "eu-west" for r in resources)


def test_one_span_is_one_span():
    from simulate.report.records import from_readable
    from simulate.report.view import trace_table

    root = run_flow().by_name("POST /api/orders")
    [title, *_rows] = trace_table(from_readable([root]))
    assert title.plain.startswith("Trace: 1 span, 1 service, 250.0 ms")
