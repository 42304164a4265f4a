// AWS SDK for JavaScript v3 (JSON 1.0 protocol) against Sluice. The SDK itself validates body MD5s on
// SendMessage, SendMessageBatch and ReceiveMessage; attribute MD5s are checked here.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SQSServiceException, QueueDoesNotExist, ReceiptHandleIsInvalid, TooManyEntriesInBatchRequest,
  PurgeQueueInProgress, InvalidAttributeName,
  CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, DeleteQueueCommand, SetQueueAttributesCommand,
  SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand,
  DeleteMessageBatchCommand, ChangeMessageVisibilityCommand, ChangeMessageVisibilityBatchCommand,
  PurgeQueueCommand, TagQueueCommand, UntagQueueCommand, ListQueueTagsCommand,
  ListDeadLetterSourceQueuesCommand, StartMessageMoveTaskCommand, ListMessageMoveTasksCommand,
  paginateListQueues,
} from "@aws-sdk/client-sqs";
import {
  ACCOUNT, ENDPOINT, makeClient, uniqueName, createQueue, attrs, counts, waitFor, md5Body, md5Attributes,
} from "../helpers.mjs";

const sqs = makeClient();

async function rejects(promise, Class, name, code, status) {
  try {
    await promise;
  } catch (e) {
    if (Class) assert.ok(e instanceof Class, `expected ${Class.name}, got ${e.name}: ${e.message}`);
    assert.ok(e instanceof SQSServiceException || !Class, `not an SQSServiceException: ${e}`);
    if (Array.isArray(name)) assert.ok(name.includes(e.name), `${e.name}: ${e.message}`);
    else assert.equal(e.name, name, e.message);
    if (code !== undefined) assert.equal(e.Code, code);
    assert.equal(e.$metadata?.httpStatusCode, status);
    assert.equal(e.$fault, "client");
    assert.ok(e.$metadata?.requestId, "request id on errors");
    return e;
  }
  assert.fail(`expected ${name}`);
}

test("queue lifecycle: create, get url, list with pagination, attributes, delete", async () => {
  const name = uniqueName("life");
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: name, Attributes: { VisibilityTimeout: "45", DelaySeconds: "1" }, tags: { env: "dev" },
  }));
  assert.equal(QueueUrl, `${ENDPOINT}/${ACCOUNT}/${name}`);
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl, QueueUrl);
  const a = await attrs(sqs, QueueUrl);
  assert.equal(a.VisibilityTimeout, "45");
  assert.equal(a.DelaySeconds, "1");
  assert.equal(a.MaximumMessageSize, "1048576");
  assert.equal(a.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "0" } }));
  assert.equal((await attrs(sqs, QueueUrl, ["DelaySeconds"])).DelaySeconds, "0");

  const prefix = uniqueName("pg");
  const urls = [];
  for (let i = 0; i < 5; i++) {
    urls.push((await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${i}` }))).QueueUrl);
  }
  const seen = [];
  for await (const page of paginateListQueues({ client: sqs, pageSize: 2 }, { QueueNamePrefix: prefix })) {
    assert.ok((page.QueueUrls ?? []).length <= 2);
    seen.push(...(page.QueueUrls ?? []));
  }
  assert.deepEqual(seen.sort(), urls.sort());
  const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  assert.deepEqual(all.QueueUrls.sort(), urls.sort());
  assert.equal(all.NextToken, undefined);

  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  await rejects(sqs.send(new GetQueueUrlCommand({ QueueName: name })), QueueDoesNotExist, "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue", 400);
});

test("errors map to modelled exceptions", async () => {
  const e = await rejects(sqs.send(new GetQueueUrlCommand({ QueueName: uniqueName("missing") })),
    QueueDoesNotExist, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", 400);
  assert.equal(e.message, "The specified queue does not exist.");
  const url = await createQueue(sqs);
  await rejects(sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "garbage" })),
    ReceiptHandleIsInvalid, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", 404);
  await rejects(sqs.send(new SendMessageBatchCommand({
    QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: "x" })),
  })), TooManyEntriesInBatchRequest, "TooManyEntriesInBatchRequest",
  "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400);
  await rejects(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Bogus: "1" } })),
    InvalidAttributeName, "InvalidAttributeName", "InvalidAttributeName", 400);
  const bad = await rejects(sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
    null, ["InvalidParameterValue", "InvalidParameterValueException"], "InvalidParameterValue", 400);
  assert.equal(bad.message,
    "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.");
  await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  await rejects(sqs.send(new PurgeQueueCommand({ QueueUrl: url })), PurgeQueueInProgress, "PurgeQueueInProgress",
    "AWS.SimpleQueueService.PurgeQueueInProgress", 403);
});

test("send and receive with attributes and MD5s", async () => {
  const url = await createQueue(sqs);
  const MessageAttributes = {
    s: { DataType: "String", StringValue: "caf\u00e9 \u2603" },
    n: { DataType: "Number", StringValue: "42" },
    ni: { DataType: "Number.int", StringValue: "-7" },
    b: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 255]) },
  };
  const body = "hello \u{1F600} <xml> & \"quotes\"";
  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl: url, MessageBody: body, MessageAttributes,
    MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" } },
  }));
  assert.equal(sent.MD5OfMessageBody, md5Body(body));
  assert.equal(sent.MD5OfMessageAttributes, md5Attributes(MessageAttributes));
  assert.equal(sent.MD5OfMessageSystemAttributes, "5ae4d5d7636402d80f4eb6d213245a88");

  const { Messages } = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: url, WaitTimeSeconds: 1, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
  }));
  assert.equal(Messages.length, 1);
  const [m] = Messages;
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.Body, body);
  assert.equal(m.MD5OfBody, md5Body(body));
  assert.equal(m.MD5OfMessageAttributes, md5Attributes(MessageAttributes));
  assert.deepEqual(Object.keys(m.MessageAttributes).sort(), ["b", "n", "ni", "s"]);
  assert.deepEqual([...m.MessageAttributes.b.BinaryValue], [0, 1, 2, 255]);
  assert.equal(m.MessageAttributes.ni.DataType, "Number.int");
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");
  assert.ok(Number(m.Attributes.SentTimestamp) > 1.6e12);
  assert.ok(m.Attributes.SenderId);
  assert.equal(m.Attributes.AWSTraceHeader, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");

  const sub = await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  assert.ok(sub.$metadata.httpStatusCode === 200);
  const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1, MessageAttributeNames: ["s", "ni", "missing"] }))).Messages[0];
  assert.notEqual(again.ReceiptHandle, m.ReceiptHandle);
  assert.deepEqual(Object.keys(again.MessageAttributes).sort(), ["ni", "s"]);
  assert.equal(again.MD5OfMessageAttributes, md5Attributes({ s: MessageAttributes.s, ni: MessageAttributes.ni }));
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: again.ReceiptHandle }));
  assert.deepEqual(await counts(sqs, url), [0, 0]);
});

test("batches: send 10, partial failures, delete and change visibility in batches", async () => {
  const url = await createQueue(sqs, "batch", { MaximumMessageSize: "1024" });
  const entries = Array.from({ length: 10 }, (_, i) => ({
    Id: `m${i}`, MessageBody: `body-${i}`,
    MessageAttributes: { i: { DataType: "Number", StringValue: String(i) } },
  }));
  const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
  assert.equal(r.Successful.length, 10);
  assert.equal((r.Failed ?? []).length, 0);
  for (const s of r.Successful) {
    const e = entries.find((x) => x.Id === s.Id);
    assert.equal(s.MD5OfMessageBody, md5Body(e.MessageBody));
    assert.equal(s.MD5OfMessageAttributes, md5Attributes(e.MessageAttributes));
  }
  const partial = await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [
    { Id: "ok", MessageBody: "fine" }, { Id: "big", MessageBody: "x".repeat(1025) },
  ] }));
  assert.deepEqual(partial.Successful.map((s) => s.Id), ["ok"]);
  assert.equal(partial.Failed.length, 1);
  assert.equal(partial.Failed[0].Id, "big");
  assert.equal(partial.Failed[0].SenderFault, true);
  assert.equal(partial.Failed[0].Code, "InvalidParameterValue");

  const got = [];
  for (let i = 0; i < 20 && got.length < 11; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    got.push(...Messages);
  }
  assert.equal(got.length, 11);
  const first = got.slice(0, 5);
  const cmv = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: [
    ...first.map((m, i) => ({ Id: `c${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
    { Id: "bad", ReceiptHandle: "garbage", VisibilityTimeout: 0 },
  ] }));
  assert.equal(cmv.Successful.length, 5);
  assert.equal(cmv.Failed[0].Code, "ReceiptHandleIsInvalid");
  const rest = got.slice(5);
  for (let i = 0; i < 20 && rest.length < 11; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    rest.push(...Messages);
  }
  assert.equal(rest.length, 11);
  for (let i = 0; i < rest.length; i += 10) {
    const del = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: rest.slice(i, i + 10).map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle })) }));
    assert.equal((del.Failed ?? []).length, 0);
  }
  assert.deepEqual(await counts(sqs, url), [0, 0]);
});

test("tags", async () => {
  const url = await createQueue(sqs, "tags", undefined, { a: "1" });
  await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { b: "2", a: "3" } }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { a: "3", b: "2" });
  await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ["a"] }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { b: "2" });
});

test("long poll returns promptly after a send", async () => {
  const url = await createQueue(sqs, "lp");
  const other = makeClient();
  const started = Date.now();
  const pending = other.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }));
  await new Promise((r) => setTimeout(r, 300));
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake" }));
  const { Messages = [] } = await pending;
  assert.deepEqual(Messages.map((m) => m.MessageId), [sent.MessageId]);
  assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
});

test("queue URL with another host still addresses the queue", async () => {
  const url = await createQueue(sqs, "host");
  const foreign = url.replace(ENDPOINT, "http://example.invalid:1234");
  await sqs.send(new SendMessageCommand({ QueueUrl: foreign, MessageBody: "x" }));
  assert.deepEqual(await counts(sqs, foreign), [1, 0]);
});

test("dead-letter queue, ListDeadLetterSourceQueues and redrive with a move task", async () => {
  const dlq = await createQueue(sqs, "dlq");
  const dlqArn = (await attrs(sqs, dlq, ["QueueArn"])).QueueArn;
  const src = await createQueue(sqs, "src", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
  });
  const srcArn = (await attrs(sqs, src, ["QueueArn"])).QueueArn;
  assert.deepEqual((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls, [src]);
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison" }));
  for (let i = 1; i <= 2; i++) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    assert.equal(Messages[0].Attributes.ApproximateReceiveCount, String(i));
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: src, ReceiptHandle: Messages[0].ReceiptHandle, VisibilityTimeout: 0 }));
  }
  assert.equal(((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages ?? []).length, 0);
  const { Messages: dead = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 2, MessageSystemAttributeNames: ["All"] }));
  assert.equal(dead.length, 1);
  assert.equal(dead[0].MessageId, sent.MessageId);
  assert.equal(dead[0].Attributes.DeadLetterQueueSourceArn, srcArn);
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlq, ReceiptHandle: dead[0].ReceiptHandle, VisibilityTimeout: 0 }));

  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  assert.ok(TaskHandle);
  const done = await waitFor(async () => {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
    return Results[0]?.Status === "COMPLETED" ? Results[0] : null;
  });
  assert.ok(done, "move task completed");
  assert.equal(done.ApproximateNumberOfMessagesMoved, 1);
  const { Messages: back = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src, WaitTimeSeconds: 2 }));
  assert.equal(back.length, 1);
  assert.equal(back[0].Body, "poison");
});
