#!/usr/bin/env bash
# The AWS CLI, unmodified, meets iamd's errors: wrong secrets, unknown keys, missing entities, regional and
# global STS endpoints, the Account API. Each failure must carry AWS's code so scripts can branch on it.
set -euo pipefail
aws() { command aws --endpoint-url "$IAMD_ENDPOINT" --output json "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
# expect_error CODE CMD...: the command fails and its message names CODE.
expect_error() {
  local code=$1; shift
  local out
  if out=$("$@" 2>&1); then fail "$* succeeded, expected $code"; fi
  grep -q "($code)" <<<"$out" || fail "$*: expected $code, got: $out"
  echo "$code: ok ($1 ${2:-} ${3:-})"
}

# Regional and global STS endpoints.
[ "$(aws sts get-caller-identity --region eu-west-1 --query Account --output text)" = 123456789012 ] || fail "regional STS"
[ "$(command aws --endpoint-url "$IAMD_ENDPOINT/global" sts get-caller-identity --query Account --output text)" = 123456789012 ] ||
  fail "global STS"
echo "sts regional and global: ok"

# Credentials problems.
AWS_SECRET_ACCESS_KEY=wrong-secret expect_error SignatureDoesNotMatch aws sts get-caller-identity
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE expect_error InvalidClientTokenId aws sts get-caller-identity
AWS_SESSION_TOKEN=not-a-token expect_error InvalidClientTokenId aws sts get-caller-identity

# Errors of the IAM and Account APIs come back with their codes and non-zero exit status.
expect_error NoSuchEntity aws iam get-user --user-name no-such-user-e2e
expect_error ValidationError aws iam create-user --user-name 'bad name with spaces'
[ "$(aws account get-region-opt-status --region-name us-east-1 --query RegionOptStatus --output text)" = ENABLED_BY_DEFAULT ] ||
  fail "account get-region-opt-status"
expect_error ValidationException aws account get-region-opt-status --region-name not-a-region
echo "cli errors: ok"
