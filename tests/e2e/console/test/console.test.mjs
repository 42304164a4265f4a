// The web console in Debian's chromium (playwright-core), against one server with auth "sigv4"
// and test mode: log in, create queues, edit a redrive policy, send, peek (a receive still gets
// the message), fail a message three times into the dead-letter queue (the test clock expires
// the visibility timeouts), redrive it from the console, receive it in the source; then a
// read-only user's purge is refused with AccessDenied. Screenshots of failures go to
// $CONSOLE_ARTIFACTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { SQSClient, ReceiveMessageCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";

const BIN = process.env.SLUICE_BIN;
const A = "111122223333";
const ADMIN = { accessKeyId: "AKIACONSOLEADMIN0001", secretAccessKey: "admin-secret-console-0001" };
const READER = { accessKeyId: "AKIACONSOLEREADER001", secretAccessKey: "reader-secret-console-001" };
const doc = (actions) => JSON.stringify({ Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
const ARTIFACTS = process.env.CONSOLE_ARTIFACTS || "artifacts";

let server, dir, api, admin, browser, page, sqs;
const freePort = () => Number(execFileSync("/usr/bin/python3", ["-c",
  "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).toString().trim());

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "sluice-console-"));
  writeFileSync(join(dir, "sluice.toml"), [
    "[auth]", 'mode = "sigv4"', `accounts = ["${A}"]`, "",
    "[[auth.users]]", 'name = "admin"', `account = "${A}"`, `access_key_id = "${ADMIN.accessKeyId}"`,
    `secret_access_key = "${ADMIN.secretAccessKey}"`, `policies = [${JSON.stringify(doc("*"))}]`, "",
    "[[auth.users]]", 'name = "reader"', `account = "${A}"`, `access_key_id = "${READER.accessKeyId}"`,
    `secret_access_key = "${READER.secretAccessKey}"`,
    `policies = [${JSON.stringify(doc(["sqs:Get*", "sqs:List*", "sqs:ReceiveMessage", "cloudwatch:Get*",
      "cloudwatch:Describe*", "cloudwatch:List*", "sns:Get*", "sns:List*", "sts:GetCallerIdentity"]))}]`, "",
  ].join("\n"));
  const port = freePort();
  const adminPort = freePort();
  api = `http://127.0.0.1:${port}`;
  admin = `http://127.0.0.1:${adminPort}`;
  server = spawn(BIN, ["serve", "--config", join(dir, "sluice.toml"), "--listen", `127.0.0.1:${port}`,
    "--admin-listen", `127.0.0.1:${adminPort}`, "--ephemeral", "--test-mode", "--log-level", "warn"],
  { stdio: "ignore" });
  const deadline = Date.now() + 10000;
  for (;;) {
    try { if ((await fetch(`${admin}/health`)).ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error("sluice did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  sqs = new SQSClient({ endpoint: api, region: "us-east-1", credentials: ADMIN });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10000);
  page.on("dialog", (d) => d.accept());
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Runs a test body; on failure keeps a screenshot and the page's HTML.
async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const base = join(ARTIFACTS, name.replace(/[^a-z0-9]+/gi, "-"));
    await page.screenshot({ path: base + ".png", fullPage: true }).catch(() => {});
    writeFileSync(base + ".html", await page.content().catch(() => ""));
    console.error(`screenshot: ${base}.png`);
    throw e;
  }
}
const advance = async (s) => assert.equal((await fetch(`${admin}/test/clock/advance?seconds=${s}`, { method: "POST" })).status, 200);
const status = () => page.locator("#status");
const receive = async (name, timeout = 30) => {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  return (await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: timeout,
    MessageSystemAttributeNames: ["ApproximateReceiveCount"], WaitTimeSeconds: 0 }))).Messages || [];
};
async function login(key) {
  await page.goto(admin + "/");
  await page.getByLabel("Access key ID").fill(key.accessKeyId);
  await page.getByLabel("Secret access key").fill(key.secretAccessKey);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: /Queues in/ }).waitFor();
}

test("first load: size and time", async () => step("first-load", async () => {
  const t0 = Date.now();
  await page.goto(admin + "/");
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  const ms = Date.now() - t0;
  const bytes = await page.evaluate(() => performance.getEntriesByType("resource")
    .concat(performance.getEntriesByType("navigation"))
    .filter((e) => !e.name.includes("/console/api/")).reduce((n, e) => n + (e.encodedBodySize || 0), 0));
  console.log(`console first load: ${bytes} bytes of page and assets, ${ms} ms to the login form`);
  assert.ok(bytes > 1000 && bytes < 100000);
  // A wrong key is refused.
  await page.getByLabel("Access key ID").fill(ADMIN.accessKeyId);
  await page.getByLabel("Secret access key").fill("wrong");
  await page.getByRole("button", { name: "Log in" }).click();
  await status().getByText(/SignatureDoesNotMatch|not valid/).waitFor();
}));

test("queues: create, edit the redrive policy, send, peek, receive", async () => step("queues", async () => {
  await login(ADMIN);
  for (const name of ["orders-dlq", "orders"]) {
    await page.getByLabel("New queue name").fill(name);
    await page.getByRole("button", { name: "Create queue" }).click();
    await status().getByText("Created queue " + name).waitFor();
  }
  await page.getByRole("link", { name: "orders", exact: true }).click();
  await page.getByRole("heading", { name: "orders", exact: true }).waitFor();
  await page.getByLabel("RedrivePolicy").fill(JSON.stringify({
    deadLetterTargetArn: `arn:aws:sqs:us-east-1:${A}:orders-dlq`, maxReceiveCount: 3 }));
  await page.getByLabel("VisibilityTimeout").fill("30");
  await page.getByRole("button", { name: "Save attributes" }).click();
  await status().getByText(/Saved .*RedrivePolicy/).waitFor();
  await page.getByLabel("Message body").fill('{"order": 42, "items": ["tea"]}');
  await page.getByRole("button", { name: "Send message" }).click();
  await status().getByText(/Sent message/).waitFor();
  // The peek shows the body pretty-printed, and receives nothing.
  await page.locator("pre", { hasText: '"order": 42' }).waitFor();
  const got = await receive("orders");
  assert.equal(got.length, 1);
  assert.equal(JSON.parse(got[0].Body).order, 42);
  assert.equal(got[0].Attributes.ApproximateReceiveCount, "1");
}));

test("dead-letter queue: three failed receives, redrive from the console", async () => step("dlq", async () => {
  // Receive #1 was the previous test's; two more, then the fourth attempt moves it.
  for (let i = 2; i <= 3; i++) {
    await advance(31);
    const got = await receive("orders");
    assert.equal(got.length, 1);
    assert.equal(got[0].Attributes.ApproximateReceiveCount, String(i));
  }
  await advance(31);
  assert.equal((await receive("orders")).length, 0);
  await page.goto(admin + "/#/queue/orders-dlq");
  await page.getByRole("heading", { name: "orders-dlq" }).waitFor();
  const row = page.locator("tr", { hasText: '"order": 42' });
  await row.waitFor();
  assert.equal((await row.locator("td.num").textContent()).trim(), "3");
  await page.getByText("Sources:").getByRole("link", { name: "orders" }).waitFor();
  await page.getByLabel("Redrive to").selectOption({ label: "each message's source queue" });
  await page.getByRole("button", { name: "Start redrive" }).click();
  await status().getByText("Redrive started").waitFor();
  for (let i = 0; ; i++) {
    await page.getByRole("button", { name: "Refresh progress" }).click();
    if (await page.locator("td", { hasText: "COMPLETED" }).count()) break;
    assert.ok(i < 20, "the move task did not complete");
    await advance(1);
  }
  const got = await receive("orders");
  assert.equal(got.length, 1);
  assert.equal(JSON.parse(got[0].Body).order, 42);
}));

test("a read-only user sees queues but cannot purge", async () => step("read-only", async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await login(READER);
  await page.locator("#identity", { hasText: "user/reader" }).waitFor();
  await page.getByRole("link", { name: "orders", exact: true }).click();
  await page.getByRole("heading", { name: "orders", exact: true }).waitFor();
  await page.getByRole("button", { name: "Purge" }).click();
  await status().getByText(/AccessDenied/).waitFor();
  // The message is still there (in flight since the last receive): the peek shows it.
  await page.getByRole("button", { name: "Refresh" }).click();
  await page.getByRole("heading", { name: "orders", exact: true }).waitFor();
  await page.locator("tr", { hasText: '"order": 42' }).getByText("in flight").waitFor();
}));

test("topics, alarms and dashboards pages answer", async () => step("other-pages", async () => {
  await page.getByRole("link", { name: "Topics" }).click();
  await page.getByRole("heading", { name: /Topics in/ }).waitFor();
  await page.getByRole("link", { name: "Alarms" }).click();
  await page.getByRole("heading", { name: /Alarms in/ }).waitFor();
  await page.getByRole("link", { name: "Dashboards" }).click();
  await page.getByRole("heading", { name: /Dashboards in/ }).waitFor();
  // A phone-width viewport keeps everything reachable.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.getByRole("link", { name: "Queues" }).click();
  await page.getByRole("link", { name: "orders", exact: true }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 390px`);
}));
