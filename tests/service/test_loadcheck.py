from __future__ import annotations

import pytest

from service.loadcheck import Tally, build_parser, local_url, summarize


@pytest.mark.parametrize(
    "url", ["http://example.com:8000", "https://127.0.0.1:8000", "http://10.0.0.1", "ftp://localhost"]
)
def test_only_this_machine_can_be_loaded(url: str) -> None:
    with pytest.raises(SystemExit):
        local_url(url)


def test_local_urls_are_accepted() -> None:
    assert local_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert local_url("http://localhost:9") == "http://localhost:9"


def test_summary_reports_percentiles_rate_and_errors() -> None:
    tally = Tally()
    for ms in range(1, 101):
        tally.record(ms / 1000, None)
    tally.record(None, "HTTP 500")
    report = summarize(tally, seconds=10)
    assert report["requests"] == 101 and report["errors"] == 1 and report["error_kinds"] == {"HTTP 500": 1}
    assert report["latency_ms"]["p50"] == pytest.approx(50.5, abs=0.1)
    assert report["latency_ms"]["p95"] == pytest.approx(95.05, abs=0.1)
    assert report["requests_per_s"] == 10.0


def test_clients_are_bounded() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--clients", "65"])
