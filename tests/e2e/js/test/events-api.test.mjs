// AWS SDK for JavaScript v3 EventBridge client against Sluice: a connection with basic auth and an
// API destination called by a rule target (a node:http server checks the request), secrets never
// returned; an archive whose events a replay re-sends to the named rule with "replay-name".
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  EventBridgeClient, CreateConnectionCommand, DescribeConnectionCommand, CreateApiDestinationCommand,
  DescribeApiDestinationCommand, PutRuleCommand, PutTargetsCommand, PutEventsCommand, CreateArchiveCommand,
  DescribeArchiveCommand, StartReplayCommand, DescribeReplayCommand, CreateEventBusCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-eventbridge";
import { ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { ENDPOINT, makeClient, createQueue, attrs, uniqueName } from "../helpers.mjs";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const events = new EventBridgeClient({ endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1, credentials });
const sqs = makeClient();

async function receive(url, count, seconds = 10) {
  const got = [];
  const deadline = Date.now() + seconds * 1000;
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

test("a rule target calls an API destination with the connection's basic auth", async () => {
  const seen = [];
  let notify;
  const arrived = new Promise((resolve) => { notify = resolve; });
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.writeHead(200).end();
      notify();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const name = uniqueName("jsconn");
    const conn = await events.send(new CreateConnectionCommand({ Name: name, AuthorizationType: "BASIC",
      AuthParameters: { BasicAuthParameters: { Username: "bob", Password: "pw-123" } } }));
    assert.equal(conn.ConnectionState, "CREATING");
    assert.ok(conn.CreationTime instanceof Date);
    const described = await events.send(new DescribeConnectionCommand({ Name: name }));
    assert.equal(described.ConnectionState, "AUTHORIZED");
    assert.deepEqual(described.AuthParameters.BasicAuthParameters, { Username: "bob" });
    const dest = await events.send(new CreateApiDestinationCommand({ Name: uniqueName("jsdest"),
      ConnectionArn: conn.ConnectionArn, InvocationEndpoint: `http://127.0.0.1:${server.address().port}/hook/*`,
      HttpMethod: "PUT", InvocationRateLimitPerSecond: 10 }));
    const d = await events.send(new DescribeApiDestinationCommand({ Name: dest.ApiDestinationArn.split("/")[1] }));
    assert.equal(d.HttpMethod, "PUT");
    assert.equal(d.InvocationRateLimitPerSecond, 10);
    const source = uniqueName("js.api");
    const rule = uniqueName("jsapi");
    await events.send(new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: [source] }) }));
    await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: "api", Arn: dest.ApiDestinationArn,
      HttpParameters: { PathParameterValues: ["$.detail.id"] }, InputPath: "$.detail" }] }));
    const put = await events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: "Order",
      Detail: JSON.stringify({ id: "o-7", total: 12 }) }] }));
    assert.equal(put.FailedEntryCount, 0);
    await arrived;
    assert.equal(seen[0].method, "PUT");
    assert.equal(seen[0].url, "/hook/o-7");
    assert.equal(seen[0].auth, `Basic ${Buffer.from("bob:pw-123").toString("base64")}`);
    assert.deepEqual(JSON.parse(seen[0].body), { id: "o-7", total: 12 });
    await assert.rejects(events.send(new DescribeConnectionCommand({ Name: "nope" })), ResourceNotFoundException);
  } finally {
    server.close();
  }
});

test("an archive and a replay to one rule", async () => {
  const bus = uniqueName("jsarch");
  const { EventBusArn } = await events.send(new CreateEventBusCommand({ Name: bus }));
  const url = await createQueue(sqs, "jsarch");
  const arn = (await attrs(sqs, url, ["QueueArn"])).QueueArn;
  const { RuleArn } = await events.send(new PutRuleCommand({ Name: "all", EventBusName: bus,
    EventPattern: JSON.stringify({ source: ["js.archive"] }) }));
  await events.send(new PutTargetsCommand({ Rule: "all", EventBusName: bus, Targets: [{ Id: "q", Arn: arn }] }));
  const archiveName = uniqueName("jsa");
  const { ArchiveArn } = await events.send(new CreateArchiveCommand({ ArchiveName: archiveName,
    EventSourceArn: EventBusArn }));
  const before = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
  await events.send(new PutEventsCommand({ Entries: [{ Source: "js.archive", DetailType: "T",
    EventBusName: bus, Detail: JSON.stringify({ n: 1 }) }] }));
  assert.equal((await receive(url, 1)).length, 1);
  assert.equal((await events.send(new DescribeArchiveCommand({ ArchiveName: archiveName }))).EventCount, 1);
  const replay = uniqueName("jsr");
  const started = await events.send(new StartReplayCommand({ ReplayName: replay, EventSourceArn: ArchiveArn,
    EventStartTime: before, EventEndTime: new Date(),
    Destination: { Arn: EventBusArn, FilterArns: [RuleArn] } }));
  assert.equal(started.State, "STARTING");
  let state;
  for (let i = 0; i < 100 && state !== "COMPLETED"; i++) {
    state = (await events.send(new DescribeReplayCommand({ ReplayName: replay }))).State;
    if (state !== "COMPLETED") await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(state, "COMPLETED");
  const [m] = await receive(url, 1);
  assert.equal(JSON.parse(m.Body)["replay-name"], replay);
});
