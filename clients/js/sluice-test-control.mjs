// A client for Sluice's test-control API (docs/test-mode.md), for node:test, Jest or Vitest.
//
// Only a server started with `sluice serve --test-mode` serves it, on its admin port (9325 by
// default); any other server answers 403. Moving the clock forward is how a test checks a
// 300-second visibility timeout, a dead-letter queue after three failed receives or a 14-day
// retention period in milliseconds, without sleeping:
//
//   import { SluiceTestControl } from "./sluice-test-control.mjs";
//   const control = new SluiceTestControl("http://127.0.0.1:9325");
//   await control.advance(300);          // the server's clock is now 300 s ahead
//   await control.offsetMs();            // -> 300000
//   await control.messages("jobs");      // every message of "jobs", in every state, not received
//
// No dependencies (Node 18+'s fetch), so it can be copied into any test suite.

export class TestControlError extends Error {
  constructor(status, text) {
    super(`${status}: ${text.trim()}`);
    this.name = "TestControlError";
    this.status = status;
    this.text = text;
  }
}

export class SluiceTestControl {
  constructor(adminUrl = "http://127.0.0.1:9325") {
    this.adminUrl = adminUrl.replace(/\/+$/, "");
  }

  async #fetch(method, path) {
    const res = await fetch(this.adminUrl + path, { method });
    const text = await res.text();
    if (!res.ok) throw new TestControlError(res.status, text);
    return text;
  }

  async #call(method, path) {
    const text = await this.#fetch(method, path);
    return Number(text.trim().split("=")[1]); // "offset_ms=N"
  }

  // Moves the server's clock forward by whole seconds; resolves to the new offset in ms.
  async advance(seconds) {
    if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError("seconds must be a non-negative integer");
    return this.#call("POST", `/test/clock/advance?seconds=${seconds}`);
  }

  // How far ahead of the real time the server's clock is, in milliseconds.
  async offsetMs() {
    return this.#call("GET", "/test/clock");
  }

  // Removes all state: every queue and message, topic, key, parameter, alarm, rule and IAM
  // identity, as a fresh start with an empty data directory would have it. The clock keeps its
  // offset. Requests that arrive during the reset are answered 503 (SDKs retry them).
  async reset() {
    await this.#fetch("POST", "/test/reset");
  }

  // Up to maxMessages of a queue's messages, oldest first, in every state ("visible", "in_flight",
  // "delayed"), without receiving them: objects with State, VisibleAt (when not visible),
  // MessageId, Body, MD5OfBody, Attributes and MessageAttributes, named as in ReceiveMessage.
  // Account and region default to the server's.
  async messages(queueName, { account, region, maxMessages = 100 } = {}) {
    const params = new URLSearchParams({ name: queueName, max: String(maxMessages) });
    if (account) params.set("account", account);
    if (region) params.set("region", region);
    return JSON.parse(await this.#fetch("GET", `/test/queue/messages?${params}`)).messages;
  }
}
