#!/usr/bin/env bash
# The AWS CLI, unmodified: an IAM user with an access key signs its own requests; the key stops working
# when it is deactivated and deleted.
set -euo pipefail
aws() { command aws --endpoint-url "$IAMD_ENDPOINT" --output json "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
user=cli-user-$$
aws iam create-user --user-name "$user" >/dev/null
trap 'aws iam delete-user --user-name "$user" >/dev/null 2>&1 || true' EXIT
read -r id secret < <(aws iam create-access-key --user-name "$user" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
[[ "$id" =~ ^AKIA[A-Z2-7]{16}$ ]] || fail "access key ID $id"
as_user() { AWS_ACCESS_KEY_ID=$id AWS_SECRET_ACCESS_KEY=$secret aws "$@"; }
arn=$(as_user sts get-caller-identity --query Arn --output text)
[ "$arn" = "arn:aws:iam::123456789012:user/$user" ] || fail "user identity: $arn"
echo "user identity: $arn"
# Without permissions the user is refused by IAM with AccessDenied.
if out=$(as_user iam list-users 2>&1); then fail "list-users without permission succeeded"; fi
grep -q "(AccessDenied)" <<<"$out" || fail "expected AccessDenied, got: $out"
echo "AccessDenied: ok"
# eventually CODE: the user's key gives CODE ("" for success) within a few seconds (caches follow changes).
eventually() {
  local want=$1 out
  for _ in $(seq 1 50); do
    if out=$(as_user sts get-caller-identity 2>&1); then [ -z "$want" ] && return 0
    elif [ -n "$want" ] && grep -q "($want)" <<<"$out"; then return 0; fi
    sleep 0.1
  done
  fail "expected ${want:-success}, got: $out"
}
aws iam update-access-key --user-name "$user" --access-key-id "$id" --status Inactive
eventually InvalidClientTokenId
aws iam update-access-key --user-name "$user" --access-key-id "$id" --status Active
eventually ""
aws iam delete-access-key --user-name "$user" --access-key-id "$id"
eventually InvalidClientTokenId
echo "deactivated and deleted keys: ok"
