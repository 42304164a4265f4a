// @aws-sdk/client-iam v3 (awsQuery) against Sluice with auth "sigv4": a user, its access key and a
// managed policy created through the API are enforced on the next SQS request; groups, roles,
// versions and AWS's errors. A server of our own (needs SLUICE_BIN; skipped otherwise); the suite's
// auth "none" server answers the API without enforcing anything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  IAMClient, CreateUserCommand, GetUserCommand, DeleteUserCommand, CreateAccessKeyCommand,
  UpdateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand, CreatePolicyCommand,
  GetPolicyVersionCommand, AttachUserPolicyCommand, DetachUserPolicyCommand, ListAttachedUserPoliciesCommand,
  CreateGroupCommand, AddUserToGroupCommand, GetGroupCommand, AttachGroupPolicyCommand, CreateRoleCommand,
  GetRoleCommand, ListPoliciesCommand, CreatePolicyVersionCommand, ListPolicyVersionsCommand,
} from "@aws-sdk/client-iam";
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { ENDPOINT, uniqueName } from "../helpers.mjs";

const A = "111111111111";
const region = "us-east-1";
const iamClient = (endpoint, credentials) => new IAMClient({ endpoint, region, credentials, maxAttempts: 1 });
const sqs = (endpoint, credentials) => new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });
const ADMIN = { accessKeyId: "AKIDJSIAMADMIN", secretAccessKey: "js-iam-admin-secret" };
const doc = (actions, resources = "*") =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: resources }] });

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

test("auth none: the API answers what it stores", async () => {
  const iam = iamClient(ENDPOINT, { accessKeyId: "test", secretAccessKey: "test" });
  const name = uniqueName("js-none");
  const { User } = await iam.send(new CreateUserCommand({ UserName: name }));
  assert.equal(User.Arn, `arn:aws:iam::000000000000:user/${name}`);
  assert.ok(User.CreateDate instanceof Date);
  assert.equal((await iam.send(new GetUserCommand({ UserName: name }))).User.UserId, User.UserId);
  await iam.send(new DeleteUserCommand({ UserName: name }));
  await rejects(iam.send(new GetUserCommand({ UserName: name })), "NoSuchEntityException", 404);
});

const BIN = process.env.SLUICE_BIN;
let server;
let endpoint;
let dir;
const freePort = () => Number(execFileSync("/usr/bin/python3", ["-c",
  "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).toString().trim());

before(async () => {
  if (!BIN) return;
  dir = mkdtempSync(join(tmpdir(), "sluice-js-iam-"));
  writeFileSync(join(dir, "sluice.toml"), [
    "[auth]", 'mode = "sigv4"', `accounts = ["${A}"]`, "",
    "[[auth.users]]", 'name = "admin"', `account = "${A}"`, `access_key_id = "${ADMIN.accessKeyId}"`,
    `secret_access_key = "${ADMIN.secretAccessKey}"`, `policies = [${JSON.stringify(doc("*"))}]`, "",
  ].join("\n"));
  const port = freePort();
  const adminPort = freePort();
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

test("sigv4: third-party access through the IAM API", { skip: !BIN && "SLUICE_BIN not set" }, async () => {
  const iam = iamClient(endpoint, ADMIN);
  const admin = sqs(endpoint, ADMIN);
  const [q1, q2, q3] = [uniqueName("js-a"), uniqueName("js-b"), uniqueName("js-c")];
  const urls = [];
  for (const q of [q1, q2, q3]) urls.push((await admin.send(new CreateQueueCommand({ QueueName: q }))).QueueUrl);
  const name = uniqueName("js-ext");
  await iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: "team", Value: "partner" }] }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  assert.match(AccessKey.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(AccessKey.SecretAccessKey.length, 40);
  const arns = [q1, q2].map((q) => `arn:aws:sqs:${region}:${A}:${q}`);
  const policyDoc = doc(["sqs:SendMessage", "sqs:ReceiveMessage"], arns);
  const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: uniqueName("js-p"), PolicyDocument: policyDoc }));
  await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: Policy.Arn }));
  const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }));
  assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: Policy.PolicyName, PolicyArn: Policy.Arn }]);
  // The SDK returns the document URL-encoded, as AWS sends it.
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: Policy.Arn, VersionId: "v1" }));
  assert.equal(decodeURIComponent(v.PolicyVersion.Document), policyDoc);

  const ext = sqs(endpoint, { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey });
  for (const QueueUrl of urls.slice(0, 2)) {
    await ext.send(new SendMessageCommand({ QueueUrl, MessageBody: "js" }));
    const r = await ext.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    assert.equal(r.Messages[0].Body, "js");
  }
  await rejects(ext.send(new SendMessageCommand({ QueueUrl: urls[2], MessageBody: "no" })), "AccessDenied", 403);

  await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: AccessKey.AccessKeyId, Status: "Inactive" }));
  await rejects(ext.send(new SendMessageCommand({ QueueUrl: urls[0], MessageBody: "x" })), "InvalidClientTokenId", 403);
  await iam.send(new UpdateAccessKeyCommand({ UserName: name, AccessKeyId: AccessKey.AccessKeyId, Status: "Active" }));
  await iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: Policy.Arn }));
  await rejects(ext.send(new SendMessageCommand({ QueueUrl: urls[0], MessageBody: "x" })), "AccessDenied", 403);

  // Through a group instead.
  const group = uniqueName("js-g");
  await iam.send(new CreateGroupCommand({ GroupName: group }));
  await iam.send(new AttachGroupPolicyCommand({ GroupName: group, PolicyArn: Policy.Arn }));
  await iam.send(new AddUserToGroupCommand({ GroupName: group, UserName: name }));
  await ext.send(new SendMessageCommand({ QueueUrl: urls[0], MessageBody: "via group" }));
  const g = await iam.send(new GetGroupCommand({ GroupName: group }));
  assert.deepEqual(g.Users.map((u) => u.UserName), [name]);

  // Errors: AWS's codes and statuses.
  await rejects(iam.send(new CreateUserCommand({ UserName: name })), "EntityAlreadyExistsException", 409);
  await rejects(iam.send(new DeleteUserCommand({ UserName: name })), "DeleteConflictException", 409);
  await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  await rejects(iam.send(new CreateAccessKeyCommand({ UserName: name })), "LimitExceededException", 409);
  assert.equal((await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata.length, 2);
  await rejects(iam.send(new CreatePolicyCommand({ PolicyName: uniqueName("bad"), PolicyDocument: "{" })),
    "MalformedPolicyDocumentException", 400);
  await rejects(iam.send(new CreateUserCommand({ UserName: "no spaces" })), "ValidationError", 400);
  await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: AccessKey.AccessKeyId }));
  await rejects(ext.send(new SendMessageCommand({ QueueUrl: urls[0], MessageBody: "x" })), "InvalidClientTokenId", 403);
});

test("sigv4: roles, versions and AWS managed policies", { skip: !BIN && "SLUICE_BIN not set" }, async () => {
  const iam = iamClient(endpoint, ADMIN);
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
  const roleName = uniqueName("js-role");
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust,
    MaxSessionDuration: 7200 }));
  assert.equal(Role.Arn, `arn:aws:iam::${A}:role/${roleName}`);
  const got = await iam.send(new GetRoleCommand({ RoleName: roleName }));
  assert.equal(decodeURIComponent(got.Role.AssumeRolePolicyDocument), trust);
  assert.equal(got.Role.MaxSessionDuration, 7200);
  const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: uniqueName("js-v"), PolicyDocument: doc("sqs:A") }));
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: Policy.Arn, PolicyDocument: doc("sqs:B"), SetAsDefault: true }));
  const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: Policy.Arn }));
  assert.deepEqual(versions.Versions.map((x) => [x.VersionId, x.IsDefaultVersion]), [["v2", true], ["v1", false]]);
  const aws = await iam.send(new ListPoliciesCommand({ Scope: "AWS" }));
  assert.ok(aws.Policies.some((p) => p.Arn === "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess"));
});
