// AWS SDK for JavaScript v3 SNS client (AWS Query) with the SQS client against Sluice: topics, an
// SQS subscription receiving the envelope, raw delivery with a filter policy, PublishBatch, a FIFO
// topic into a FIFO queue, and errors as the SDK raises them.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SNSClient, CreateTopicCommand, DeleteTopicCommand, GetTopicAttributesCommand, SubscribeCommand,
  PublishCommand, PublishBatchCommand, ListSubscriptionsByTopicCommand,
} from "@aws-sdk/client-sns";
import { ReceiveMessageCommand, DeleteMessageCommand, CreateQueueCommand } from "@aws-sdk/client-sqs";
import { ENDPOINT, makeClient, createQueue, attrs, uniqueName } from "../helpers.mjs";

const sns = new SNSClient({
  endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const sqs = makeClient();

async function queue(fifo = false) {
  const url = fifo
    ? (await sqs.send(new CreateQueueCommand({ QueueName: `${uniqueName("jsf")}.fifo`,
      Attributes: { FifoQueue: "true" } }))).QueueUrl
    : await createQueue(sqs, "js");
  return { url, arn: (await attrs(sqs, url, ["QueueArn"])).QueueArn };
}

async function receive(url, count) {
  const got = [];
  const deadline = Date.now() + 10000;
  while (got.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["All"], AttributeNames: ["All"],
    }));
    for (const m of Messages) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

test("topic, SQS subscription, envelope", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("jst") }));
  const q = await queue();
  const { SubscriptionArn } = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: "sqs", Endpoint: q.arn, ReturnSubscriptionArn: true,
  }));
  const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.deepEqual(Subscriptions.map((s) => s.SubscriptionArn), [SubscriptionArn]);
  const { MessageId } = await sns.send(new PublishCommand({
    TopicArn, Message: "from js", Subject: "js",
    MessageAttributes: { k: { DataType: "String", StringValue: "v" } },
  }));
  const [m] = await receive(q.url, 1);
  const doc = JSON.parse(m.Body);
  assert.equal(doc.Type, "Notification");
  assert.equal(doc.MessageId, MessageId);
  assert.equal(doc.Message, "from js");
  assert.equal(doc.Subject, "js");
  assert.deepEqual(doc.MessageAttributes, { k: { Type: "String", Value: "v" } });
  assert.ok(doc.Signature && doc.SigningCertURL && doc.UnsubscribeURL);
  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.SubscriptionsConfirmed, "1");
  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn })), (e) => {
    assert.equal(e.name, "NotFoundException");
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
});

test("raw delivery with a filter policy, and PublishBatch", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("jst") }));
  const q = await queue();
  await sns.send(new SubscribeCommand({
    TopicArn, Protocol: "sqs", Endpoint: q.arn,
    Attributes: { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ kind: ["order"] }) },
  }));
  const entry = (Id, kind) => ({
    Id, Message: `m-${Id}`, MessageAttributes: { kind: { DataType: "String", StringValue: kind } },
  });
  const res = await sns.send(new PublishBatchCommand({
    TopicArn, PublishBatchRequestEntries: [entry("1", "order"), entry("2", "refund"), entry("3", "order")],
  }));
  assert.equal(res.Successful.length, 3);
  const got = await receive(q.url, 2);
  assert.deepEqual(got.map((m) => m.Body).sort(), ["m-1", "m-3"]);
  assert.equal(got[0].MessageAttributes.kind.StringValue, "order");
  await assert.rejects(sns.send(new SubscribeCommand({
    TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes: { FilterPolicy: "{\"a\": [{\"exists\": 1}]}" },
  })), (e) => {
    assert.equal(e.name, "InvalidParameterException");
    assert.equal(e.message,
      "Invalid parameter: Attributes Reason: FilterPolicy: exists match pattern must be either true or false.");
    return true;
  });
});

test("FIFO topic into a FIFO queue keeps group order and drops duplicates", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({
    Name: `${uniqueName("jst")}.fifo`, Attributes: { FifoTopic: "true" },
  }));
  const q = await queue(true);
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: q.arn,
    Attributes: { RawMessageDelivery: "true" } }));
  for (let i = 0; i < 5; i++) {
    await sns.send(new PublishCommand({ TopicArn, Message: `m${i}`, MessageGroupId: "g",
      MessageDeduplicationId: `d${i}` }));
  }
  await sns.send(new PublishCommand({ TopicArn, Message: "again", MessageGroupId: "g", MessageDeduplicationId: "d0" }));
  const got = await receive(q.url, 5);
  assert.deepEqual(got.map((m) => m.Body), ["m0", "m1", "m2", "m3", "m4"]);
});
