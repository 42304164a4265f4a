"""A client for Sluice's test-control API (docs/test-mode.md).

Only a server started with ``sluice serve --test-mode`` serves it, on its admin port (9325 by
default); any other server answers 403. Moving the clock forward is how a test checks a 300-second
visibility timeout, a dead-letter queue after three failed receives, a 14-day retention period,
an STS expiry or an alarm period in milliseconds, without sleeping::

    from sluice_test_control import SluiceTestControl
    control = SluiceTestControl("http://127.0.0.1:9325")
    control.advance(300)      # the server's clock is now 300 s ahead
    control.offset_ms()       # -> 300000
    control.messages("jobs")  # every message of queue "jobs", in every state, not received

Standard library only, so it can be copied into any test suite.
"""
import json
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["SluiceTestControl", "TestControlError"]


class TestControlError(Exception):
    """The server refused a test-control request (status and the server's text)."""

    __test__ = False  # not a pytest test class

    def __init__(self, status, text):
        super().__init__(f"{status}: {text.strip()}")
        self.status = status
        self.text = text


class SluiceTestControl:
    __test__ = False  # not a pytest test class

    def __init__(self, admin_url="http://127.0.0.1:9325", timeout=10):
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, path):
        req = urllib.request.Request(self.admin_url + path, method=method,
                                     data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise TestControlError(e.code, e.read().decode(errors="replace")) from None

    @staticmethod
    def _offset(text):
        # "offset_ms=N\n"
        return int(text.strip().split("=", 1)[1])

    def advance(self, seconds):
        """Moves the server's clock forward by whole seconds; returns the new offset in ms."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ValueError("seconds must be a non-negative integer")
        return self._offset(self._call("POST", f"/test/clock/advance?seconds={seconds}"))

    def offset_ms(self):
        """How far ahead of the real time the server's clock is, in milliseconds."""
        return self._offset(self._call("GET", "/test/clock"))

    def reset(self):
        """Removes all state: every queue and message, topic, key, parameter, alarm, rule and IAM
        identity, as a fresh start with an empty data directory would have it. The clock keeps
        its offset. Requests that arrive during the reset are answered 503 (SDKs retry them)."""
        self._call("POST", "/test/reset")

    def messages(self, queue_name, account=None, region=None, max_messages=100):
        """Up to max_messages of a queue's messages, oldest first, in every state ("visible",
        "in_flight", "delayed"), without receiving them: a list of dicts with State, VisibleAt
        (when not visible), MessageId, Body, MD5OfBody, Attributes and MessageAttributes, named as
        in ReceiveMessage. Account and region default to the server's."""
        params = {"name": queue_name, "max": max_messages}
        if account:
            params["account"] = account
        if region:
            params["region"] = region
        text = self._call("GET", "/test/queue/messages?" + urllib.parse.urlencode(params))
        return json.loads(text)["messages"]
