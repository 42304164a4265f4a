// The test-control API (docs/test-mode.md) with the JavaScript client in clients/js and the AWS SDK
// for JavaScript v3: a server started with --test-mode (our own; needs SLUICE_BIN) moves its clock
// forward, and a 300-second visibility timeout and a dead-letter queue take milliseconds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, GetQueueAttributesCommand, ListQueuesCommand } from "@aws-sdk/client-sqs";
import { SluiceTestControl, TestControlError } from "../../../../clients/js/sluice-test-control.mjs";

const BIN = process.env.SLUICE_BIN;
const skip = !BIN && "SLUICE_BIN not set";
const freePort = () => Number(execFileSync("/usr/bin/python3", ["-c",
  "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).toString().trim());
let server;
let sqs;
let control;

before(async () => {
  if (!BIN) return;
  const port = freePort();
  let adminPort = freePort();
  while (adminPort === port) adminPort = freePort();
  server = spawn(BIN, ["serve", "--test-mode", "--listen", `127.0.0.1:${port}`,
    "--admin-listen", `127.0.0.1:${adminPort}`, "--ephemeral", "--log-level", "error"], { stdio: "ignore" });
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/health`)).ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error("sluice --test-mode did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  sqs = new SQSClient({ endpoint: `http://127.0.0.1:${port}`, region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  control = new SluiceTestControl(`http://127.0.0.1:${adminPort}`);
});

after(() => {
  if (server) server.kill("SIGTERM");
});

const receive = async (QueueUrl) =>
  (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0,
    MessageSystemAttributeNames: ["ApproximateReceiveCount"] }))).Messages ?? [];

test("a 300-second visibility timeout, without waiting", { skip }, async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-tm-visibility", Attributes: { VisibilityTimeout: "300" } }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "job" }));
  assert.deepEqual((await receive(QueueUrl)).map((m) => m.Body), ["job"]);
  const before = await control.offsetMs();
  assert.equal(await control.advance(299), before + 299_000);
  assert.deepEqual(await receive(QueueUrl), []);
  await control.advance(1);
  const again = await receive(QueueUrl);
  assert.deepEqual(again.map((m) => m.Body), ["job"]);
  assert.equal(again[0].Attributes.ApproximateReceiveCount, "2");
});

test("a dead-letter queue after three failed receives", { skip }, async () => {
  const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: "js-tm-dlq" }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }));
  const { QueueUrl: src } = await sqs.send(new CreateQueueCommand({ QueueName: "js-tm-src", Attributes: {
    VisibilityTimeout: "60", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes.QueueArn, maxReceiveCount: 3 }) } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison" }));
  for (let i = 0; i < 3; i++) {
    assert.deepEqual((await receive(src)).map((m) => m.Body), ["poison"]);
    await control.advance(60);
  }
  assert.deepEqual(await receive(src), []);
  const seen = await control.messages("js-tm-dlq");
  assert.deepEqual(seen.map((m) => [m.State, m.Body]), [["visible", "poison"]]);
  assert.ok(seen[0].Attributes.DeadLetterQueueSourceArn.endsWith(":js-tm-src"));
  assert.deepEqual((await receive(dlq)).map((m) => m.Body), ["poison"]);
  assert.deepEqual((await control.messages("js-tm-dlq")).map((m) => m.State), ["in_flight"]);
});

test("bad input is refused by the client and the server", { skip }, async () => {
  await assert.rejects(control.advance(-1), RangeError);
  await assert.rejects(control.advance(1.5), RangeError);
  const res = await fetch(`${control.adminUrl}/test/clock/advance?seconds=abc`, { method: "POST" });
  assert.equal(res.status, 400);
  const wrong = new SluiceTestControl(`${control.adminUrl}/nowhere`);
  await assert.rejects(wrong.advance(1), (e) => e instanceof TestControlError && e.status === 404);
});

test("reset removes every queue and message; the same names work again at once", { skip }, async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "js-tm-reset" }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "old" }));
  await control.reset();
  assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [], []);
  await assert.rejects(receive(QueueUrl), (e) => e.name === "QueueDoesNotExist");
  const again = await sqs.send(new CreateQueueCommand({ QueueName: "js-tm-reset" }));
  assert.equal(again.QueueUrl, QueueUrl);
  assert.deepEqual(await receive(QueueUrl), []);
});
