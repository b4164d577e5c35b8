// Who the caller is, as the JavaScript SDK v3 sees it through every way of pointing it at iamd: the client's
// endpoint option for the regional and global STS endpoints, the AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_STS environment variables, and a shared config file's services section.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { GetAccountSummaryCommand, GetUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { accountId, endpoint, iam, sharedConfig, stsGlobal, stsRegional, withEnv } from "./iamd.mjs";

const rootArn = `arn:aws:iam::${accountId}:root`;

test("root identity at a regional STS endpoint", async () => {
  const id = await stsRegional("eu-west-1").send(new GetCallerIdentityCommand({}));
  assert.deepEqual([id.Account, id.Arn, id.UserId], [accountId, rootArn, accountId]);
  assert.match(id.$metadata.requestId, /^[0-9a-f-]{36}$/);
});

test("root identity at the global STS endpoint", async () => {
  const id = await stsGlobal().send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, rootArn);
});

test("IAM answers the root: GetUser without a name, GetAccountSummary", async () => {
  const { User } = await iam().send(new GetUserCommand({}));
  assert.equal(User.Arn, rootArn);
  assert.equal(User.UserId, accountId);
  const { SummaryMap } = await iam().send(new GetAccountSummaryCommand({}));
  assert.equal(typeof SummaryMap.Users, "number");
  assert.ok(SummaryMap.UsersQuota > 0, JSON.stringify(SummaryMap));
});

// A client with no endpoint option: only the environment or the shared config can send it to iamd.
const bareSTS = () => new STSClient({ region: "us-west-2", maxAttempts: 1 });

test("AWS_ENDPOINT_URL points a client without an endpoint option at iamd", async () => {
  const id = await withEnv({ AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_STS: undefined }, () =>
    bareSTS().send(new GetCallerIdentityCommand({})));
  assert.equal(id.Arn, rootArn);
});

test("AWS_ENDPOINT_URL_STS wins over AWS_ENDPOINT_URL and can name the global endpoint", async () => {
  // The general variable names a port where nothing listens: the request must not go there. The global
  // endpoint shows itself by its token: v1 (the account's GlobalEndpointTokenVersion), where a regional
  // endpoint issues v2.
  const { Credentials } = await withEnv(
    { AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ENDPOINT_URL_STS: `${endpoint}/global` },
    () => new STSClient({ region: "us-east-1", maxAttempts: 1 }).send(new GetSessionTokenCommand({})));
  assert.ok(Credentials.SessionToken.startsWith("FwoGZXIvYXdz"), Credentials.SessionToken.slice(0, 16));
  const regional = await stsRegional("us-east-1").send(new GetSessionTokenCommand({}));
  assert.ok(regional.Credentials.SessionToken.startsWith("IQoJb3JpZ2luX2Vj"), regional.Credentials.SessionToken.slice(0, 16));
});

const dir = mkdtempSync(join(tmpdir(), "iamd-js-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a shared config file's services section points a profile's STS and IAM clients at iamd", async () => {
  const config = join(dir, "config");
  writeFileSync(config, sharedConfig({
    "profile iamd": ["region = us-west-2", `aws_access_key_id = ${process.env.AWS_ACCESS_KEY_ID}`,
      `aws_secret_access_key = ${process.env.AWS_SECRET_ACCESS_KEY}`, "services = iamd-services"],
    "services iamd-services": ["sts =", `  endpoint_url = ${endpoint}`, "iam =", `  endpoint_url = ${endpoint}`],
  }));
  // Everything comes from the profile: no endpoint, region or key in the environment.
  const env = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"), AWS_PROFILE: "iamd" };
  for (const k of ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) env[k] = undefined;
  await withEnv(env,
    async () => {
      const sts = new STSClient({ maxAttempts: 1 });
      assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, rootArn);
      const { User } = await new IAMClient({ maxAttempts: 1 }).send(new GetUserCommand({}));
      assert.equal(User.Arn, rootArn);
    });
});
