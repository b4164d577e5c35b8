// AWS's errors as the JavaScript SDK v3 parses them from iamd: the error's name (AWS's code), message, HTTP
// status and fault, for the awsQuery protocol of IAM and STS and the rest-json protocol of the Account API.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GetRegionOptStatusCommand } from "@aws-sdk/client-account";
import {
  CreateUserCommand,
  GetUserCommand,
  IAMServiceException,
  ListUsersCommand,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { account, accountId, createUser, expectError, iam, stsRegional } from "./iamd.mjs";

const userName = "js-errors-bob";
const userArn = `arn:aws:iam::${accountId}:user/${userName}`;
let bob;
let removeBob;

before(async () => {
  // Bob may read himself but is explicitly denied GetUser on everyone else; ListUsers is allowed to nobody.
  ({ creds: bob, remove: removeBob } = await createUser(userName, [
    { Effect: "Allow", Action: "iam:GetUser", Resource: userArn },
    { Effect: "Deny", Action: "iam:GetUser", NotResource: userArn },
  ]));
});

after(async () => {
  if (removeBob) await removeBob();
});

test("NoSuchEntity: the modelled exception class, code, message and 404", async () => {
  const err = await expectError(iam().send(new GetUserCommand({ UserName: "js-no-such-user" })),
    "NoSuchEntityException", 404, "The user with name js-no-such-user cannot be found.");
  assert.ok(err instanceof NoSuchEntityException && err instanceof IAMServiceException);
  // The wire code the SDK mapped to its class name.
  assert.equal(err.Code ?? err.Error?.Code, "NoSuchEntity", JSON.stringify(err));
  assert.match(err.$metadata.requestId, /^[0-9a-f-]{36}$/);
});

test("EntityAlreadyExists: 409 with AWS's message", async () => {
  await expectError(iam().send(new CreateUserCommand({ UserName: userName })),
    "EntityAlreadyExistsException", 409, `User with name ${userName} already exists.`);
});

test("AccessDenied: no policy allows the action", async () => {
  await expectError(iam(bob).send(new ListUsersCommand({})), "AccessDenied", 403,
    `User: ${userArn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${accountId}:user/ ` +
    "because no identity-based policy allows the iam:ListUsers action");
});

test("AccessDenied: an explicit deny, while the allowed call succeeds", async () => {
  assert.equal((await iam(bob).send(new GetUserCommand({ UserName: userName }))).User.Arn, userArn);
  await expectError(iam(bob).send(new GetUserCommand({ UserName: "someone-else" })), "AccessDenied", 403,
    `User: ${userArn} is not authorized to perform: iam:GetUser on resource: arn:aws:iam::${accountId}:user/someone-else ` +
    "with an explicit deny in an identity-based policy");
});

test("credential errors of STS: unknown key, wrong secret", async () => {
  await expectError(stsRegional("us-east-1", { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x" })
    .send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", 403,
  "The security token included in the request is invalid.");
  await expectError(stsRegional("us-east-1", { ...bob, secretAccessKey: "wrong-secret" })
    .send(new GetCallerIdentityCommand({})), "SignatureDoesNotMatch", 403,
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
  "Access Key and signing method. Consult the service documentation for details.");
});

test("the Account API's rest-json errors: ValidationException", async () => {
  await expectError(account().send(new GetRegionOptStatusCommand({ RegionName: "not-a-region" })),
    "ValidationException", 400, "Invalid region name: not-a-region");
});
