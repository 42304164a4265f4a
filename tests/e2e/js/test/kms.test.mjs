// AWS SDK for JavaScript v3 KMS client (AWS JSON 1.1) against Sluice: keys, aliases, the
// cryptographic operations with their errors as the SDK raises them, and tags.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  KMSClient, CreateKeyCommand, DescribeKeyCommand, EncryptCommand, DecryptCommand, CreateAliasCommand,
  ListAliasesCommand, GenerateDataKeyCommand, DisableKeyCommand, EnableKeyCommand, GenerateMacCommand,
  VerifyMacCommand, TagResourceCommand, ListResourceTagsCommand, GetKeyPolicyCommand, ReEncryptCommand,
  ScheduleKeyDeletionCommand, CancelKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import { ENDPOINT, uniqueName } from "../helpers.mjs";

const kms = new KMSClient({
  endpoint: ENDPOINT, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const enc = new TextEncoder();
const dec = new TextDecoder();

async function rejects(promise, name, message) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.name, name, e.message);
    assert.equal(e.$metadata?.httpStatusCode, 400);
    if (message !== undefined) assert.equal(e.message, message);
    return e;
  }
  assert.fail(`expected ${name}`);
}

test("keys, aliases and round trips", async () => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({
    Description: "js", Tags: [{ TagKey: "sdk", TagValue: "js" }],
  }));
  assert.equal(KeyMetadata.KeyState, "Enabled");
  assert.ok(KeyMetadata.CreationDate instanceof Date);
  const alias = `alias/${uniqueName("js")}`;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata.KeyId }));
  const described = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
  assert.equal(described.KeyMetadata.Arn, KeyMetadata.Arn);
  const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: KeyMetadata.KeyId }));
  assert.deepEqual(Aliases.map((a) => a.AliasName), [alias]);
  const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: KeyMetadata.KeyId }));
  assert.deepEqual(Tags, [{ TagKey: "sdk", TagValue: "js" }]);
  const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: KeyMetadata.KeyId, PolicyName: "default" }));
  assert.equal(JSON.parse(Policy).Statement[0].Action, "kms:*");

  const ctx = { order: "42" };
  const { CiphertextBlob } = await kms.send(new EncryptCommand({
    KeyId: alias, Plaintext: enc.encode("payload"), EncryptionContext: ctx,
  }));
  const plain = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: ctx }));
  assert.equal(dec.decode(plain.Plaintext), "payload");
  assert.equal(plain.KeyId, KeyMetadata.Arn);
  await rejects(kms.send(new DecryptCommand({ CiphertextBlob })), "InvalidCiphertextException");

  const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
  const re = await kms.send(new ReEncryptCommand({
    CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: other.KeyId,
  }));
  assert.equal(re.KeyId, other.Arn);
  assert.equal(dec.decode((await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }))).Plaintext),
    "payload");

  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata.KeyId, KeySpec: "AES_256" }));
  assert.equal(dk.Plaintext.length, 32);
  const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
  assert.deepEqual(Buffer.from(back.Plaintext), Buffer.from(dk.Plaintext));
});

test("key states as the SDK sees them", async () => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata.KeyId }));
  await rejects(kms.send(new EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: enc.encode("x") })),
    "DisabledException", `${KeyMetadata.Arn} is disabled.`);
  await kms.send(new EnableKeyCommand({ KeyId: KeyMetadata.KeyId }));
  const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata.KeyId, PendingWindowInDays: 7 }));
  assert.equal(scheduled.KeyState, "PendingDeletion");
  assert.ok(scheduled.DeletionDate instanceof Date);
  await rejects(kms.send(new EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: enc.encode("x") })),
    "KMSInvalidStateException", `${KeyMetadata.Arn} is pending deletion.`);
  await kms.send(new CancelKeyDeletionCommand({ KeyId: KeyMetadata.KeyId }));
  await rejects(kms.send(new DescribeKeyCommand({ KeyId: "nope" })), "NotFoundException", "Invalid keyId 'nope'");
  await rejects(kms.send(new TagResourceCommand({
    KeyId: KeyMetadata.KeyId, Tags: [{ TagKey: "aws:x", TagValue: "1" }],
  })), "TagException", "Tags beginning with aws: are reserved");
});

test("HMAC keys", async () => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_512", KeyUsage: "GENERATE_VERIFY_MAC" }));
  const { Mac } = await kms.send(new GenerateMacCommand({
    KeyId: KeyMetadata.KeyId, Message: enc.encode("m"), MacAlgorithm: "HMAC_SHA_512",
  }));
  assert.equal(Mac.length, 64);
  const ok = await kms.send(new VerifyMacCommand({
    KeyId: KeyMetadata.KeyId, Message: enc.encode("m"), MacAlgorithm: "HMAC_SHA_512", Mac,
  }));
  assert.equal(ok.MacValid, true);
  await rejects(kms.send(new VerifyMacCommand({
    KeyId: KeyMetadata.KeyId, Message: enc.encode("n"), MacAlgorithm: "HMAC_SHA_512", Mac,
  })), "KMSInvalidMacException");
});
