"""The SMS acknowledgement probe: signed like Twilio signs, and several runs pooled into one sample."""
from __future__ import annotations

from twilio.request_validator import RequestValidator

from bench.sms_bench import SmsProbe, pooled_summary, signed_inbound


def test_probe_requests_carry_a_signature_twilio_s_validator_accepts():
    url, params, headers = signed_inbound("http://127.0.0.1:5000", "token", "AC" + "a" * 32, "+8613900000001", "你好")
    assert url == "http://127.0.0.1:5000/sms/inbound"
    assert RequestValidator("token").validate(url, params, headers["X-Twilio-Signature"])
    assert not RequestValidator("other").validate(url, params, headers["X-Twilio-Signature"])


def test_pooled_summary_takes_every_acknowledgement_and_failure_of_every_run():
    runs = []
    for latencies, failures, seconds in (([0.010] * 99 + [0.200], [], 10.0), ([0.012] * 100, ["HTTP 500"], 11.0)):
        probe = SmsProbe("http://127.0.0.1:1", "t", "AC")
        probe.latencies, probe.failures, probe.seconds = latencies, failures, seconds
        runs.append(probe)
    pooled = pooled_summary(runs)
    assert (pooled.count, pooled.errors, pooled.seconds) == (200, 1, 21.0)
    assert runs[0].summary().p99_ms == 10.0 and pooled.p99_ms == 12.0 and pooled.max_ms == 200.0
