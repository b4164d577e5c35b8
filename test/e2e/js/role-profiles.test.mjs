// Role profiles (role_arn + source_profile) of a shared config file: the SDK's credential provider calls
// AssumeRole through an STS client of its own, which does not see an endpoint given to the client that
// asked for credentials. These tests pin the settings that do send that call to iamd (docs/clients.md).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CreateRoleCommand, DeleteRoleCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { accountId, createUser, endpoint, iam, sharedConfig, withEnv } from "./iamd.mjs";

const userName = "js-role-profile-carol";
const roleName = "js-role-profile-role";
const roleArn = `arn:aws:iam::${accountId}:role/${roleName}`;
const assumedPrefix = `arn:aws:sts::${accountId}:assumed-role/${roleName}/`;
const dir = mkdtempSync(join(tmpdir(), "iamd-js-roles-"));
const config = join(dir, "config");
let removeCarol;

before(async () => {
  await iam().send(new CreateRoleCommand({
    RoleName: roleName,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "sts:AssumeRole" }],
    }),
  }));
  const carol = await createUser(userName, [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: roleArn }]);
  removeCarol = carol.remove;
  const roleProfile = ["region = us-east-1", `role_arn = ${roleArn}`, "source_profile = carol"];
  writeFileSync(config, sharedConfig({
    "profile carol": ["region = us-east-1", `aws_access_key_id = ${carol.creds.accessKeyId}`,
      `aws_secret_access_key = ${carol.creds.secretAccessKey}`],
    // endpoint_url on the role profile only, as users write it.
    "profile role-endpoint-url": [...roleProfile, `endpoint_url = ${endpoint}`],
    "profile role-bare": roleProfile,
  }));
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (removeCarol) await removeCarol();
  await iam().send(new DeleteRoleCommand({ RoleName: roleName }));
});

// Only the config file describes credentials and endpoints.
const fileOnly = (more) => ({
  AWS_CONFIG_FILE: config,
  AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_STS: undefined,
  ...more,
});
const whoAmI = async (client) => (await client.send(new GetCallerIdentityCommand({}))).Arn;

test("a role profile chosen with AWS_PROFILE: its endpoint_url reaches the AssumeRole call", async () => {
  const arn = await withEnv(fileOnly({ AWS_PROFILE: "role-endpoint-url" }),
    () => whoAmI(new STSClient({ maxAttempts: 1 })));
  assert.ok(arn.startsWith(assumedPrefix), arn);
});

test("a role profile named in the client's options, endpoint in code: AWS_ENDPOINT_URL_STS reaches AssumeRole", async () => {
  const arn = await withEnv(fileOnly({ AWS_ENDPOINT_URL_STS: endpoint }),
    () => whoAmI(new STSClient({ maxAttempts: 1, endpoint, profile: "role-bare" })));
  assert.ok(arn.startsWith(assumedPrefix), arn);
});
