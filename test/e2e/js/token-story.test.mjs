// The security-token story of the global and regional STS endpoints through the JavaScript SDK v3, as
// test/e2e/boto3_token_story.py tells it with boto3: the global endpoint (the /global prefix) issues tokens
// of the account's GlobalEndpointTokenVersion, v1 until SetSecurityTokenServicePreferences says v2Token;
// regional endpoints always issue v2 tokens; an opt-in region (ap-east-1) refuses every credential until it
// is enabled, and v1 tokens even then. The test leaves the shared server as it found it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DisableRegionCommand, EnableRegionCommand, GetRegionOptStatusCommand } from "@aws-sdk/client-account";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  GetAccountSummaryCommand,
  SetSecurityTokenServicePreferencesCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { account, accountId, expectError, iam, keyCreds, sessionCreds, stsGlobal, stsRegional } from "./iamd.mjs";

const V1 = "FwoGZXIvYXdz";
const V2 = "IQoJb3JpZ2luX2Vj";
const invalid = "The security token included in the request is invalid.";
const userName = "js-token-story";
const userArn = `arn:aws:iam::${accountId}:user/${userName}`;

let alice;
let aliceKeyId;

before(async () => {
  await iam().send(new CreateUserCommand({ UserName: userName }));
  const { AccessKey } = await iam().send(new CreateAccessKeyCommand({ UserName: userName }));
  aliceKeyId = AccessKey.AccessKeyId;
  alice = keyCreds(AccessKey);
});

after(async () => {
  await iam().send(new SetSecurityTokenServicePreferencesCommand({ GlobalEndpointTokenVersion: "v1Token" }));
  const { RegionOptStatus } = await account().send(new GetRegionOptStatusCommand({ RegionName: "ap-east-1" }));
  if (RegionOptStatus !== "DISABLED") await setRegion("ap-east-1", false);
  if (aliceKeyId) await iam().send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: aliceKeyId }));
  await iam().send(new DeleteUserCommand({ UserName: userName }));
});

const tokenVersion = async () =>
  (await iam().send(new GetAccountSummaryCommand({}))).SummaryMap.GlobalEndpointTokenVersion;

async function setRegion(name, enable) {
  const Command = enable ? EnableRegionCommand : DisableRegionCommand;
  await account().send(new Command({ RegionName: name }));
  const { RegionOptStatus } = await account().send(new GetRegionOptStatusCommand({ RegionName: name }));
  assert.equal(RegionOptStatus, enable ? "ENABLED" : "DISABLED");
}

const sessionToken = async (client) => (await client.send(new GetSessionTokenCommand({}))).Credentials;
const whoAmI = async (client) => (await client.send(new GetCallerIdentityCommand({}))).Arn;

test("global and regional endpoints, token versions and an opt-in region", async (t) => {
  let v1;
  let regional;

  await t.test("a new account's global endpoint issues v1 tokens that work in enabled regions", async () => {
    assert.equal(await tokenVersion(), 1);
    v1 = await sessionToken(stsGlobal(alice));
    assert.ok(v1.SessionToken.startsWith(V1), v1.SessionToken.slice(0, 16));
    assert.match(v1.AccessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.equal(v1.SecretAccessKey.length, 40);
    assert.ok(v1.Expiration instanceof Date && v1.Expiration > new Date(), String(v1.Expiration));
    assert.equal(await whoAmI(stsRegional("us-west-2", sessionCreds(v1))), userArn);
  });

  await t.test("a disabled opt-in region refuses every credential", async () => {
    for (const creds of [sessionCreds(v1), alice]) {
      await expectError(stsRegional("ap-east-1", creds).send(new GetCallerIdentityCommand({})),
        "InvalidClientTokenId", 403, invalid);
    }
  });

  await t.test("once enabled, the region takes long-term keys but still refuses v1 tokens", async () => {
    await setRegion("ap-east-1", true);
    assert.equal(await whoAmI(stsRegional("ap-east-1", alice)), userArn);
    await expectError(stsRegional("ap-east-1", sessionCreds(v1)).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId", 403, invalid);
  });

  await t.test("a regional endpoint issues v2 tokens, accepted in the opt-in region", async () => {
    regional = await sessionToken(stsRegional("us-west-2", alice));
    assert.ok(regional.SessionToken.startsWith(V2), regional.SessionToken.slice(0, 16));
    assert.equal(await whoAmI(stsRegional("ap-east-1", sessionCreds(regional))), userArn);
  });

  await t.test("after v2Token the global endpoint issues longer v2 tokens; old v1 tokens stay refused", async () => {
    await iam().send(new SetSecurityTokenServicePreferencesCommand({ GlobalEndpointTokenVersion: "v2Token" }));
    assert.equal(await tokenVersion(), 2);
    const v2 = await sessionToken(stsGlobal(alice));
    assert.ok(v2.SessionToken.startsWith(V2), v2.SessionToken.slice(0, 16));
    assert.ok(v2.SessionToken.length > v1.SessionToken.length, `${v2.SessionToken.length} <= ${v1.SessionToken.length}`);
    assert.equal(await whoAmI(stsRegional("ap-east-1", sessionCreds(v2))), userArn);
    await expectError(stsRegional("ap-east-1", sessionCreds(v1)).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId", 403, invalid);
  });

  await t.test("an unknown token version is a ValidationError naming the allowed values", async () => {
    await expectError(iam().send(new SetSecurityTokenServicePreferencesCommand({ GlobalEndpointTokenVersion: "v3Token" })),
      "ValidationError", 400,
      "1 validation error detected: Value 'v3Token' at 'globalEndpointTokenVersion' failed to satisfy constraint: " +
      "Member must satisfy enum value set: [v1Token, v2Token]");
  });

  await t.test("disabling the region shuts out even v2 tokens and the root; other regions still take them", async () => {
    await setRegion("ap-east-1", false);
    for (const creds of [undefined, alice, sessionCreds(regional)]) {
      await expectError(stsRegional("ap-east-1", creds).send(new GetCallerIdentityCommand({})),
        "InvalidClientTokenId", 403, invalid);
      await stsRegional("us-west-2", creds).send(new GetCallerIdentityCommand({}));
    }
  });

  await t.test("session credentials may not ask for another session token", async () => {
    await expectError(stsGlobal(sessionCreds(regional)).send(new GetSessionTokenCommand({})),
      "AccessDenied", 403, "Cannot call GetSessionToken with session credentials");
  });
});
