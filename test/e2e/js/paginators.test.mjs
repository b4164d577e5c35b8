// The JavaScript SDK v3's paginators over iamd: IAM's Marker/IsTruncated (awsQuery) and the Account API's
// NextToken (rest-json), several pages each.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { paginateListRegions } from "@aws-sdk/client-account";
import {
  CreateUserCommand,
  DeleteUserCommand,
  ListUsersCommand,
  paginateListUsers,
} from "@aws-sdk/client-iam";
import { account, iam } from "./iamd.mjs";

// Users under their own path, so that users of the other tests do not change the pages.
const path = "/js-paginators/";
const names = Array.from({ length: 7 }, (_, i) => `js-page-user-${i}`);

before(async () => {
  for (const UserName of names) await iam().send(new CreateUserCommand({ UserName, Path: path }));
});

after(async () => {
  for (const UserName of names) await iam().send(new DeleteUserCommand({ UserName }));
});

test("ListUsers in pages of 3: three pages, every user once, in name order", async () => {
  const pages = [];
  for await (const page of paginateListUsers({ client: iam(), pageSize: 3 }, { PathPrefix: path })) pages.push(page);
  assert.deepEqual(pages.map((p) => p.Users.length), [3, 3, 1]);
  assert.deepEqual(pages.map((p) => p.IsTruncated), [true, true, false]);
  assert.ok(pages[0].Marker && pages[1].Marker, "truncated pages carry a Marker");
  assert.equal(pages[2].Marker, undefined);
  assert.deepEqual(pages.flatMap((p) => p.Users.map((u) => u.UserName)), names);
  for (const u of pages.flatMap((p) => p.Users)) assert.equal(u.Path, path);
});

test("a Marker from one page resumes the listing by hand", async () => {
  const first = await iam().send(new ListUsersCommand({ PathPrefix: path, MaxItems: 5 }));
  assert.equal(first.IsTruncated, true);
  const rest = await iam().send(new ListUsersCommand({ PathPrefix: path, Marker: first.Marker }));
  assert.deepEqual(rest.Users.map((u) => u.UserName), names.slice(5));
  assert.equal(rest.IsTruncated, false);
});

test("ListRegions of the Account API in pages of 10 with NextToken", async () => {
  const pages = [];
  for await (const page of paginateListRegions({ client: account(), pageSize: 10 }, {})) pages.push(page);
  assert.ok(pages.length > 2, `${pages.length} pages`);
  for (const p of pages.slice(0, -1)) {
    assert.equal(p.Regions.length, 10);
    assert.ok(p.NextToken);
  }
  assert.equal(pages.at(-1).NextToken, undefined);
  const regions = pages.flatMap((p) => p.Regions.map((r) => r.RegionName));
  assert.equal(new Set(regions).size, regions.length, "no region twice");
  assert.ok(regions.includes("us-east-1") && regions.includes("ap-east-1"), regions.join(","));
});
