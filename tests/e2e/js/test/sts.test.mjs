// AWS SDK for JavaScript v3 STS client (awsQuery) against Sluice, and SQS (JSON 1.0) with the
// temporary credentials it hands out. Auth "none": the suite's server (SLUICE_ENDPOINT). Auth
// "sigv4" with roles and an adjustable clock: a server of our own (needs SLUICE_BIN; skipped
// otherwise).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";
import { SQSClient, CreateQueueCommand, SendMessageCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { ENDPOINT, uniqueName } from "../helpers.mjs";

const A = "111111111111";
const region = "us-east-1";
const sts = (endpoint, credentials) => new STSClient({ endpoint, region, credentials, maxAttempts: 1 });
const sqs = (endpoint, credentials) => new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });
const temp = (c) => ({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });

async function rejects(promise, name, status) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return e;
  }
  assert.fail(`expected ${name}`);
}

test("auth none: caller is the account root; assumed credentials work", async () => {
  const client = sts(ENDPOINT, { accessKeyId: "test", secretAccessKey: "test" });
  const me = await client.send(new GetCallerIdentityCommand({}));
  assert.equal(me.Account, "000000000000");
  assert.equal(me.Arn, "arn:aws:iam::000000000000:root");
  const r = await client.send(new AssumeRoleCommand({
    RoleArn: "arn:aws:iam::000000000000:role/any", RoleSessionName: "js-local", DurationSeconds: 900,
  }));
  assert.match(r.Credentials.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(r.Credentials.Expiration instanceof Date);
  assert.equal(r.AssumedRoleUser.Arn, "arn:aws:sts::000000000000:assumed-role/any/js-local");
  const { QueueUrl } = await sqs(ENDPOINT, temp(r.Credentials)).send(new CreateQueueCommand({ QueueName: uniqueName("sts") }));
  assert.ok(QueueUrl.includes("/000000000000/"));
});

// ---- auth "sigv4": a server of our own
const BIN = process.env.SLUICE_BIN;
let server;
let endpoint;
let adminPort;
let dir;

const policy = (...actions) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
const trust = (principal) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }] });
const freePort = () => Number(execFileSync("/usr/bin/python3", ["-c",
  "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).toString().trim());
const DEV = { accessKeyId: "AKIDJSDEV", secretAccessKey: "js-dev-secret" };

before(async () => {
  if (!BIN) return;
  dir = mkdtempSync(join(tmpdir(), "sluice-js-sts-"));
  const toml = [
    "[auth]", 'mode = "sigv4"', `accounts = ["${A}"]`, "",
    "[[auth.users]]", 'name = "dev"', `account = "${A}"`, `access_key_id = "${DEV.accessKeyId}"`,
    `secret_access_key = "${DEV.secretAccessKey}"`, `policies = [${JSON.stringify(policy("sqs:*"))}]`, "",
    "[[auth.roles]]", 'name = "sender"', `account_id = "${A}"`,
    `assume_role_policy = ${JSON.stringify(trust(`arn:aws:iam::${A}:user/dev`))}`,
    `policies = [${JSON.stringify(policy("sqs:SendMessage", "sqs:GetQueueUrl"))}]`, "",
    "[[auth.roles]]", 'name = "closed"', `account_id = "${A}"`,
    `assume_role_policy = ${JSON.stringify(trust(A))}`, "",
    "[testing]", 'clock = "adjustable"', "",
  ].join("\n");
  writeFileSync(join(dir, "sluice.toml"), toml);
  const port = freePort();
  adminPort = freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["serve", "--config", join(dir, "sluice.toml"), "--listen", `127.0.0.1:${port}`,
    "--admin-listen", `127.0.0.1:${adminPort}`, "--ephemeral", "--log-level", "warn"], { stdio: "ignore" });
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${adminPort}/health`)).ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error("sluice (sigv4) did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
});

after(() => {
  if (server) server.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("sigv4: assume a role, use it with SQS until it expires", { skip: !BIN && "SLUICE_BIN not set" }, async () => {
  const queueName = uniqueName("sts");
  const { QueueUrl } = await sqs(endpoint, DEV).send(new CreateQueueCommand({ QueueName: queueName }));
  const me = await sts(endpoint, DEV).send(new GetCallerIdentityCommand({}));
  assert.equal(me.Arn, `arn:aws:iam::${A}:user/dev`);
  assert.match(me.UserId, /^AIDA[A-Z0-9]{17}$/);

  const r = await sts(endpoint, DEV).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${A}:role/sender`, RoleSessionName: "js", DurationSeconds: 900,
  }));
  const creds = temp(r.Credentials);
  const who = await sts(endpoint, creds).send(new GetCallerIdentityCommand({}));
  assert.equal(who.Arn, `arn:aws:sts::${A}:assumed-role/sender/js`);
  assert.equal(who.UserId, r.AssumedRoleUser.AssumedRoleId);
  const sender = sqs(endpoint, creds);
  assert.ok((await sender.send(new SendMessageCommand({ QueueUrl, MessageBody: "from js" }))).MessageId);
  // The role may send, not create queues.
  await rejects(sender.send(new CreateQueueCommand({ QueueName: uniqueName("no") })), "AccessDenied", 403);
  // A role whose trust policy names only the account: dev has no sts:AssumeRole permission.
  await rejects(sts(endpoint, DEV).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${A}:role/closed`, RoleSessionName: "js",
  })), "AccessDenied", 403);

  // Expiry: move the server's auth clock past the 900 s.
  const res = await fetch(`http://127.0.0.1:${adminPort}/testing/clock?advance_seconds=900`, { method: "POST" });
  assert.equal(res.status, 200);
  await rejects(sender.send(new GetQueueUrlCommand({ QueueName: queueName })), "ExpiredToken", 403);
  await rejects(sts(endpoint, creds).send(new GetCallerIdentityCommand({})), "ExpiredToken", 403);
});
