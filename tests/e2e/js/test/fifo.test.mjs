// FIFO queues with the AWS SDK for JavaScript v3 (JSON 1.0): group order with concurrent consumers,
// exactly-once processing, deduplication, ReceiveRequestAttemptId, SequenceNumber.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageBatchCommand, GetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";
import { makeClient, uniqueName } from "../helpers.mjs";

const sqs = makeClient();

async function fifoQueue(Attributes = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: `${uniqueName("fifo")}.fifo`, Attributes: { FifoQueue: "true", ...Attributes },
  }));
  return QueueUrl;
}

test("FIFO: 10 concurrent consumers, 100 groups, 10,000 messages, in order and exactly once", async () => {
  const QueueUrl = await fifoQueue();
  const groups = 100, perGroup = 100;
  const batches = [];
  for (let g = 0; g < groups; g++) {
    for (let start = 0; start < perGroup; start += 10) {
      batches.push(Array.from({ length: 10 }, (_, k) => ({
        Id: `e${k}`, MessageBody: `${g}:${start + k}`, MessageGroupId: `g${g}`,
        MessageDeduplicationId: `${g}-${start + k}`,
      })));
    }
  }
  // 10 producers; each group's batches go out in order from one producer.
  await Promise.all(Array.from({ length: 10 }, async (_, p) => {
    for (let g = p; g < groups; g += 10) {
      for (let b = 0; b < perGroup / 10; b++) {
        const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batches[g * 10 + b] }));
        assert.equal((r.Failed ?? []).length, 0);
        for (const s of r.Successful) assert.match(s.SequenceNumber, /^\d{20}$/);
      }
    }
  }));
  // Duplicates within the window are accepted with the original id and not delivered.
  const first = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: "dup", MessageGroupId: "g0", MessageDeduplicationId: "0-0",
  }));
  assert.ok(first.MessageId);

  const seen = new Map();
  let total = 0;
  await Promise.all(Array.from({ length: 10 }, async () => {
    const client = makeClient();
    let idle = 0;
    while (idle < 3) {
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({
        QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60,
        MessageSystemAttributeNames: ["MessageGroupId", "SequenceNumber"],
      }));
      if (Messages.length === 0) { idle++; continue; }
      idle = 0;
      for (const m of Messages) {
        const [g, i] = m.Body.split(":").map(Number);
        assert.equal(m.Attributes.MessageGroupId, `g${g}`);
        if (!seen.has(g)) seen.set(g, []);
        seen.get(g).push(i);
      }
      total += Messages.length;
      const d = await client.send(new DeleteMessageBatchCommand({
        QueueUrl, Entries: Messages.map((m, k) => ({ Id: `${k}`, ReceiptHandle: m.ReceiptHandle })),
      }));
      assert.equal((d.Failed ?? []).length, 0);
    }
  }));
  assert.equal(total, groups * perGroup);
  for (let g = 0; g < groups; g++) {
    assert.deepEqual(seen.get(g), Array.from({ length: perGroup }, (_, i) => i), `group ${g}`);
  }
});

test("FIFO: content-based dedup returns the original MessageId and SequenceNumber", async () => {
  const QueueUrl = await fifoQueue({ ContentBasedDeduplication: "true" });
  const a = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "same", MessageGroupId: "g" }));
  const b = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "same", MessageGroupId: "g" }));
  assert.equal(b.MessageId, a.MessageId);
  assert.equal(b.SequenceNumber, a.SequenceNumber);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  assert.equal(Attributes.ApproximateNumberOfMessages, "1");
  assert.equal(Attributes.ContentBasedDeduplication, "true");
});

test("FIFO: a receive retried with the same ReceiveRequestAttemptId returns the same messages", async () => {
  const QueueUrl = await fifoQueue({ ContentBasedDeduplication: "true" });
  for (let i = 0; i < 3; i++) {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `r${i}`, MessageGroupId: "g" }));
  }
  const req = { QueueUrl, MaxNumberOfMessages: 10, ReceiveRequestAttemptId: "attempt-js-1" };
  const one = await sqs.send(new ReceiveMessageCommand(req));
  const two = await sqs.send(new ReceiveMessageCommand(req));
  assert.deepEqual(one.Messages.map((m) => m.Body), ["r0", "r1", "r2"]);
  assert.deepEqual(two.Messages.map((m) => m.ReceiptHandle), one.Messages.map((m) => m.ReceiptHandle));
  const other = await sqs.send(new ReceiveMessageCommand({ ...req, ReceiveRequestAttemptId: "attempt-js-2" }));
  assert.equal((other.Messages ?? []).length, 0);  // the group is in flight
});
