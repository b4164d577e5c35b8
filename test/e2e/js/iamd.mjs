// Shared setup of the JavaScript SDK v3 end-to-end tests: clients pointed at the iamd that test/e2e/run.sh
// started (IAMD_ENDPOINT), signed with the root credentials it exported (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, read by the SDK's default credential chain), and an assertion on AWS errors.
import assert from "node:assert/strict";
import { AccountClient } from "@aws-sdk/client-account";
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";

export const endpoint = process.env.IAMD_ENDPOINT;
if (!endpoint) throw new Error("IAMD_ENDPOINT is not set: run these tests through test/e2e/run.sh");
export const accountId = "123456789012";

// The SDK would retry throttling and 5xx answers; an e2e test wants to see the first answer.
const common = { maxAttempts: 1 };

export const iam = (credentials) => new IAMClient({ ...common, endpoint, region: "us-east-1", credentials });
export const account = (credentials) => new AccountClient({ ...common, endpoint, region: "us-east-1", credentials });
// A regional STS endpoint: the signing region selects it.
export const stsRegional = (region, credentials) => new STSClient({ ...common, endpoint, region, credentials });
// The STS global endpoint: the /global path prefix, signed as us-east-1.
export const stsGlobal = (credentials) =>
  new STSClient({ ...common, endpoint: `${endpoint}/global`, region: "us-east-1", credentials });

export const keyCreds = (k) => ({ accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey });
export const sessionCreds = (c) => ({
  accessKeyId: c.AccessKeyId,
  secretAccessKey: c.SecretAccessKey,
  sessionToken: c.SessionToken,
});

// expectError asserts that promise rejects with AWS's error code, HTTP status and, when given, message, as
// the SDK parsed them from iamd's answer.
export async function expectError(promise, code, status, message) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `succeeded, want ${code}`);
  assert.equal(err.name, code, `error ${err.name}: ${err.message}`);
  assert.equal(err.$metadata?.httpStatusCode, status, `${code}: HTTP status`);
  if (message !== undefined) assert.equal(err.message, message, `${code}: message`);
  assert.equal(err.$fault, status >= 500 ? "server" : "client", `${code}: fault`);
  return err;
}

// withEnv runs fn with some environment variables set (undefined: unset) and puts them back afterwards. The
// SDK reads them while it resolves a client's configuration, that is on the client's first request.
export async function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (vs) => {
    for (const [k, v] of Object.entries(vs)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

// createUser makes an IAM user with one inline policy of the given statements and an access key. It returns
// the key's credentials and remove, which deletes all three.
export async function createUser(userName, statements) {
  const policy = { UserName: userName, PolicyName: "e2e" };
  await iam().send(new CreateUserCommand({ UserName: userName }));
  await iam().send(new PutUserPolicyCommand({
    ...policy,
    PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  }));
  const { AccessKey } = await iam().send(new CreateAccessKeyCommand({ UserName: userName }));
  const remove = async () => {
    await iam().send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: AccessKey.AccessKeyId }));
    await iam().send(new DeleteUserPolicyCommand(policy));
    await iam().send(new DeleteUserCommand({ UserName: userName }));
  };
  return { creds: keyCreds(AccessKey), remove };
}

// sharedConfig is the text of a shared config file: each section's name ("profile x", "services y") with its
// lines.
export const sharedConfig = (sections) =>
  Object.entries(sections).map(([name, lines]) => [`[${name}]`, ...lines, ""].join("\n")).join("\n");
