"""`POST /sms/inbound` acknowledgement time under chat load: signed requests (twilio's RequestValidator,
the same code Twilio's signature is checked with) sent at a steady rate from distinct phones while the
simulated web applicants run. Twilio gives up after 15 s; our target is 50 ms at p99."""
from __future__ import annotations

import threading
import time
import uuid

import requests
from twilio.request_validator import RequestValidator

from bench.stats import Summary, summarise

BODIES = ("你好", "开饭店要准备什么材料", "预审要几天", "谢谢")
TO_NUMBER = "+8610690000"
WARM_UP_MESSAGES = 10   # untimed, each on a new connection so that every gateway worker has served one
ROUNDS = 3              # probe runs pooled by make bench: about 100 acknowledgements each


def signed_inbound(base_url: str, auth_token: str, account_sid: str, phone: str, body: str) -> tuple[str, dict, dict]:
    url = f"{base_url}/sms/inbound"
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": account_sid, "From": phone, "To": TO_NUMBER,
              "Body": body, "NumMedia": "0", "NumSegments": "1"}
    signature = RequestValidator(auth_token).compute_signature(url, params)
    return url, params, {"X-Twilio-Signature": signature}


class SmsProbe:
    """A thread posting one signed inbound SMS every `interval` seconds until stopped."""

    def __init__(self, base_url: str, auth_token: str, account_sid: str, interval: float = 0.25):
        self.base_url, self.auth_token, self.account_sid = base_url, auth_token, account_sid
        self.interval = interval
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sms-probe", daemon=True)
        self.seconds = 0.0

    def _run(self) -> None:
        started = time.perf_counter()
        with requests.Session() as http:
            number = 0
            while not self._stop.is_set():
                phone = f"+86139{number % 100000000:08d}"
                url, params, headers = signed_inbound(self.base_url, self.auth_token, self.account_sid, phone,
                                                      BODIES[number % len(BODIES)])
                t0 = time.perf_counter()
                try:
                    response = http.post(url, data=params, headers=headers, timeout=15)
                    elapsed = time.perf_counter() - t0
                    if response.status_code == 200:
                        self.latencies.append(elapsed)
                    else:
                        self.failures.append(f"HTTP {response.status_code}")
                except requests.RequestException as error:
                    self.failures.append(type(error).__name__)
                number += 1
                self._stop.wait(self.interval)
        self.seconds = time.perf_counter() - started

    def __enter__(self) -> "SmsProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def summary(self) -> Summary:
        return pooled_summary([self])


def warm_up(base_url: str, auth_token: str, account_sid: str) -> None:
    """Send WARM_UP_MESSAGES untimed: a worker's first inbound SMS loads what the chat path never
    needed (the signature validator, phone number metadata, the SMS tables), which is start-up, not ack time."""
    for number in range(WARM_UP_MESSAGES):
        url, params, headers = signed_inbound(base_url, auth_token, account_sid, f"+86137{number:08d}",
                                              BODIES[number % len(BODIES)])
        requests.post(url, data=params, headers={**headers, "Connection": "close"}, timeout=15).raise_for_status()


def pooled_summary(probes: list[SmsProbe]) -> Summary:
    """Every acknowledgement of several probe runs as one sample."""
    return summarise([x for p in probes for x in p.latencies], sum(p.seconds for p in probes),
                     sum(len(p.failures) for p in probes))
