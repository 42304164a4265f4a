// AWS SDK for JavaScript v3 over HTTPS: a second Sluice (the binary under test) with its API on TLS only
// (server.listen = "off"), the committed test CA and certificate of tests/unit/net/data, and a custom
// https.Agent trusting that CA. The binary: $SLUICE_BIN (run.sh exports it); skipped without it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand,
  DeleteQueueCommand, ListQueuesCommand,
} from "@aws-sdk/client-sqs";
import { uniqueName, md5Body } from "../helpers.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const DATA = path.join(REPO, "tests/unit/net/data");
const CA = fs.readFileSync(path.join(DATA, "ca.pem"));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

const BIN = process.env.SLUICE_BIN;  // exported by run.sh
let proc, dir, httpsPort, adminPort, log = "";

before(async () => {
  if (!BIN) return;
  httpsPort = await freePort();
  adminPort = await freePort();
  while (adminPort === httpsPort) adminPort = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-js-tls-"));
  fs.writeFileSync(path.join(dir, "sluice.toml"), [
    "[server]", 'listen = "off"', `tls_listen = "127.0.0.1:${httpsPort}"`,
    `admin_listen = "127.0.0.1:${adminPort}"`,
    `tls_cert_file = "${path.join(DATA, "server-cert.pem")}"`, `tls_key_file = "${path.join(DATA, "server-key.pem")}"`,
  ].join("\n"));
  proc = spawn(BIN, ["serve", "--config", path.join(dir, "sluice.toml"), "--ephemeral", "--log-level", "warn"],
               { stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (d) => { log += d; });
  proc.stderr.on("data", (d) => { log += d; });
  const deadline = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sluice (TLS) exited ${proc.exitCode}: ${log}`);
    try {
      const r = await fetch(`http://127.0.0.1:${adminPort}/health`);
      if (r.status === 200) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`sluice (TLS) not healthy: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function client(agent) {
  return new SQSClient({
    endpoint: `https://localhost:${httpsPort}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: { httpsAgent: agent },
  });
}

test("SDK v3 over HTTPS: create, send, receive, delete; queue URL is https", { skip: !BIN && "no sluice binary" }, async () => {
  const sqs = client(new https.Agent({ ca: CA, keepAlive: true }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("tls") }));
  assert.ok(QueueUrl.startsWith(`https://localhost:${httpsPort}/000000000000/`), QueueUrl);
  const body = "over TLS from node é".repeat(100);
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  assert.equal(sent.MD5OfMessageBody, md5Body(body));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 1 }));
  assert.equal(got.Messages?.length, 1);
  assert.equal(got.Messages[0].Body, body);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  sqs.destroy();
});

test("SDK v3 without the test CA refuses the server", { skip: !BIN && "no sluice binary" }, async () => {
  const sqs = client(new https.Agent({ keepAlive: false }));
  await assert.rejects(sqs.send(new ListQueuesCommand({})),
                       (e) => /certificate|self.signed|issuer/i.test(`${e.code} ${e.message}`));
  sqs.destroy();
});
