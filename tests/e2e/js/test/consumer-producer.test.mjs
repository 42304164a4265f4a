// sqs-consumer and sqs-producer, as applications use them, against Sluice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Consumer } from "sqs-consumer";
import { Producer } from "sqs-producer";
import { SendMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { makeClient, createQueue, counts, waitFor } from "../helpers.mjs";

const sqs = makeClient();

async function fill(url, n, prefix = "job") {
  for (let i = 0; i < n; i += 10) {
    const Entries = [];
    for (let j = i; j < Math.min(n, i + 10); j++) Entries.push({ Id: `e${j}`, MessageBody: JSON.stringify({ n: j, prefix }) });
    const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
    assert.equal(r.Successful.length, Entries.length);
  }
}

function consumer(url, options) {
  const c = Consumer.create({ queueUrl: url, sqs, waitTimeSeconds: 1, pollingWaitTimeMs: 0, batchSize: 10, ...options });
  const errors = [];
  c.on("error", (e) => errors.push(e));
  return { c, errors };
}

test("sqs-consumer handleMessage processes and deletes every message", async () => {
  const url = await createQueue(sqs, "cons");
  await fill(url, 30);
  const seen = new Set();
  const { c, errors } = consumer(url, {
    handleMessage: async (m) => { seen.add(JSON.parse(m.Body).n); return m; },
  });
  c.start();
  try {
    assert.ok(await waitFor(() => seen.size === 30, 20000), `processed ${seen.size}/30`);
    assert.ok(await waitFor(async () => (await counts(sqs, url)).join() === "0,0", 10000), "queue drained");
  } finally {
    c.stop({ abort: true });
  }
  assert.deepEqual(errors, []);
});

test("sqs-consumer handleMessageBatch", async () => {
  const url = await createQueue(sqs, "consb");
  await fill(url, 25);
  const seen = [];
  let batches = 0;
  const { c, errors } = consumer(url, {
    handleMessageBatch: async (msgs) => { batches++; assert.ok(msgs.length <= 10); seen.push(...msgs.map((m) => JSON.parse(m.Body).n)); return msgs; },
  });
  c.start();
  try {
    assert.ok(await waitFor(() => seen.length >= 25, 20000), `processed ${seen.length}/25`);
    assert.ok(await waitFor(async () => (await counts(sqs, url)).join() === "0,0", 10000), "queue drained");
  } finally {
    c.stop({ abort: true });
  }
  assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  assert.ok(batches >= 3);
  assert.deepEqual(errors, []);
});

test("sqs-consumer: an error in the handler returns the message to the queue", async () => {
  const url = await createQueue(sqs, "consf", { VisibilityTimeout: "30" });
  await fill(url, 1);
  const attempts = [];
  const processingErrors = [];
  const { c, errors } = consumer(url, {
    terminateVisibilityTimeout: true, // failed message becomes visible again at once (ChangeMessageVisibility 0)
    messageSystemAttributeNames: ["ApproximateReceiveCount"],
    handleMessage: async (m) => {
      attempts.push(m.Attributes?.ApproximateReceiveCount);
      if (attempts.length === 1) throw new Error("transient failure");
      return m;
    },
  });
  c.on("processing_error", (e) => processingErrors.push(e));
  c.start();
  try {
    assert.ok(await waitFor(() => attempts.length >= 2, 15000), `attempts: ${attempts}`);
    assert.ok(await waitFor(async () => (await counts(sqs, url)).join() === "0,0", 10000), "deleted after success");
  } finally {
    c.stop({ abort: true });
  }
  assert.deepEqual(attempts.slice(0, 2), ["1", "2"]);
  assert.equal(processingErrors.length, 1);
  assert.deepEqual(errors, []);
});

test("sqs-producer sends 25 messages in batches", async () => {
  const url = await createQueue(sqs, "prod");
  const producer = Producer.create({ queueUrl: url, sqs, batchSize: 10 });
  const messages = Array.from({ length: 25 }, (_, i) => ({
    id: `id${i}`, body: JSON.stringify({ i }),
    messageAttributes: { n: { DataType: "Number", StringValue: String(i) } },
  }));
  const result = await producer.send(messages);
  assert.equal(result.length, 25);
  assert.deepEqual(result.map((r) => r.Id).sort(), messages.map((m) => m.id).sort());
  assert.equal(await producer.queueSize(), 25);
  await producer.send(["plain_string_message"]);
  const got = [];
  for (let i = 0; i < 20 && got.length < 26; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
    got.push(...Messages);
  }
  assert.equal(got.length, 26);
  assert.ok(got.some((m) => m.Body === "plain_string_message"));
  for (const m of got.filter((x) => x.MessageAttributes)) {
    assert.equal(JSON.parse(m.Body).i, Number(m.MessageAttributes.n.StringValue));
  }
});
