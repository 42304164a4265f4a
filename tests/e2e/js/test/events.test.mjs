// AWS SDK for JavaScript v3 EventBridge client (AWS JSON 1.1) with the SQS and SNS clients against
// Sluice: a custom bus, a rule with a pattern, targets with an input transformer into a FIFO queue
// and through an SNS topic, PutEvents per-entry errors, TestEventPattern, and errors as the SDK
// raises them.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EventBridgeClient, CreateEventBusCommand, DescribeEventBusCommand, DeleteEventBusCommand,
  PutRuleCommand, DescribeRuleCommand, PutTargetsCommand, ListTargetsByRuleCommand, PutEventsCommand,
  TestEventPatternCommand, RemoveTargetsCommand, DeleteRuleCommand, ListRulesCommand,
  ResourceNotFoundException, InvalidEventPatternException,
} from "@aws-sdk/client-eventbridge";
import { SNSClient, CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { ReceiveMessageCommand, DeleteMessageCommand, CreateQueueCommand } from "@aws-sdk/client-sqs";
import { ENDPOINT, makeClient, createQueue, attrs, uniqueName } from "../helpers.mjs";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const events = new EventBridgeClient({ endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1, credentials });
const sns = new SNSClient({ endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1, credentials });
const sqs = makeClient();

async function queue(fifo = false) {
  const url = fifo
    ? (await sqs.send(new CreateQueueCommand({ QueueName: `${uniqueName("jse")}.fifo`,
      Attributes: { FifoQueue: "true" } }))).QueueUrl
    : await createQueue(sqs, "jse");
  return { url, arn: (await attrs(sqs, url, ["QueueArn"])).QueueArn };
}

async function receive(url, count) {
  const got = [];
  const deadline = Date.now() + 10000;
  while (got.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of Messages) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

test("a bus, a rule, transformed events into a FIFO queue and through an SNS topic", async () => {
  const bus = uniqueName("orders");
  const { EventBusArn } = await events.send(new CreateEventBusCommand({ Name: bus }));
  assert.equal(EventBusArn, `arn:aws:events:us-east-1:000000000000:event-bus/${bus}`);
  assert.equal((await events.send(new DescribeEventBusCommand({ Name: bus }))).Name, bus);
  const pattern = JSON.stringify({ source: [{ prefix: "com.shop" }], detail: { status: ["shipped"] } });
  const { RuleArn } = await events.send(new PutRuleCommand({ Name: "shipped", EventBusName: bus, EventPattern: pattern }));
  assert.equal(RuleArn, `arn:aws:events:us-east-1:000000000000:rule/${bus}/shipped`);
  assert.equal((await events.send(new DescribeRuleCommand({ Name: "shipped", EventBusName: bus }))).EventPattern, pattern);

  const fifo = await queue(true);
  const fan = await queue();
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("jse-topic") }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: fan.arn,
    Attributes: { RawMessageDelivery: "true" } }));
  const InputTransformer = { InputPathsMap: { id: "$.detail.id" }, InputTemplate: '{"order": <id>}' };
  const put = await events.send(new PutTargetsCommand({ Rule: "shipped", EventBusName: bus, Targets: [
    { Id: "fifo", Arn: fifo.arn, SqsParameters: { MessageGroupId: "g" }, InputTransformer },
    { Id: "topic", Arn: TopicArn, InputTransformer },
  ] }));
  assert.equal(put.FailedEntryCount, 0);
  const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: "shipped", EventBusName: bus }));
  assert.deepEqual(Targets.map((t) => t.Id), ["fifo", "topic"]);
  assert.equal(Targets[0].SqsParameters.MessageGroupId, "g");

  const entries = [1, 2, 3].map((i) => ({ Source: "com.shop.orders", DetailType: "Order", EventBusName: bus,
    Detail: JSON.stringify({ id: `o-${i}`, status: i === 2 ? "new" : "shipped" }) }));
  entries.push({ Source: "com.shop.orders", DetailType: "Order", EventBusName: bus, Detail: "not json" });
  const r = await events.send(new PutEventsCommand({ Entries: entries }));
  assert.equal(r.FailedEntryCount, 1);
  assert.match(r.Entries[0].EventId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(r.Entries[3], { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
  assert.deepEqual((await receive(fifo.url, 2)).map((m) => JSON.parse(m.Body)), [{ order: "o-1" }, { order: "o-3" }]);
  assert.deepEqual((await receive(fan.url, 2)).map((m) => JSON.parse(m.Body).order).sort(), ["o-1", "o-3"]);

  await events.send(new RemoveTargetsCommand({ Rule: "shipped", EventBusName: bus, Ids: ["fifo", "topic"] }));
  await events.send(new DeleteRuleCommand({ Name: "shipped", EventBusName: bus }));
  assert.deepEqual((await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules, []);
  await events.send(new DeleteEventBusCommand({ Name: bus }));
});

test("errors as the SDK raises them, and TestEventPattern", async () => {
  await assert.rejects(events.send(new DescribeEventBusCommand({ Name: "no-such-bus" })), (e) => {
    assert.ok(e instanceof ResourceNotFoundException);
    assert.equal(e.message, "Event bus no-such-bus does not exist.");
    return true;
  });
  await assert.rejects(events.send(new PutRuleCommand({ Name: "bad", EventPattern: '{"source": "x"}' })), (e) => {
    assert.ok(e instanceof InvalidEventPatternException);
    assert.match(e.message, /^Event pattern is not valid\. Reason: /);
    return true;
  });
  const event = JSON.stringify({ id: "1", "detail-type": "x", source: "com.a", account: "000000000000",
    time: "2024-01-01T00:00:00Z", region: "us-east-1", resources: [], detail: { n: 5 } });
  const yes = await events.send(new TestEventPatternCommand({ Event: event,
    EventPattern: JSON.stringify({ detail: { n: [{ numeric: [">=", 5] }] } }) }));
  assert.equal(yes.Result, true);
  const no = await events.send(new TestEventPatternCommand({ Event: event,
    EventPattern: JSON.stringify({ source: [{ "anything-but": ["com.a"] }] }) }));
  assert.equal(no.Result, false);
});
