// Shared helpers for the node --test suites. The server is started by run.sh, which exports SLUICE_ENDPOINT.
import { createHash, randomUUID } from "node:crypto";
import { SQSClient, GetQueueAttributesCommand, CreateQueueCommand } from "@aws-sdk/client-sqs";

export const ENDPOINT = process.env.SLUICE_ENDPOINT;
if (!ENDPOINT) throw new Error("SLUICE_ENDPOINT is not set (run through tests/e2e/js/run.sh)");
export const ACCOUNT = "000000000000";

export function makeClient(extra = {}) {
  return new SQSClient({
    endpoint: ENDPOINT,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    ...extra,
  });
}

export const uniqueName = (prefix = "js") => `${prefix}-${randomUUID().slice(0, 12)}`;

export async function createQueue(client, prefix = "js", Attributes = undefined, tags = undefined) {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: uniqueName(prefix), Attributes, tags }));
  return QueueUrl;
}

export async function attrs(client, QueueUrl, names = ["All"]) {
  return (await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names }))).Attributes ?? {};
}

export async function counts(client, QueueUrl) {
  const a = await attrs(client, QueueUrl);
  return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible)];
}

export async function waitFor(fn, timeoutMs = 15000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Independent implementation of shared/aws/md5.md.
export const md5Body = (body) => createHash("md5").update(Buffer.from(body, "utf8")).digest("hex");

function lp(buf) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

export function md5Attributes(attributes) {
  const parts = [];
  for (const name of Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const v = attributes[name];
    parts.push(lp(Buffer.from(name, "utf8")), lp(Buffer.from(v.DataType, "utf8")));
    if (v.StringValue !== undefined) parts.push(Buffer.from([1]), lp(Buffer.from(v.StringValue, "utf8")));
    else if (v.BinaryValue !== undefined) parts.push(Buffer.from([2]), lp(Buffer.from(v.BinaryValue)));
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}
