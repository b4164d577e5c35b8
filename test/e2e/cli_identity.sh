#!/usr/bin/env bash
# The AWS CLI, unmodified, against iamd: the root's identity, and the token-version story's IAM calls.
set -euo pipefail
aws() { command aws --endpoint-url "$IAMD_ENDPOINT" --output json "$@"; }
arn=$(aws sts get-caller-identity --query Arn --output text)
[ "$arn" = "arn:aws:iam::123456789012:root" ] || { echo "unexpected ARN: $arn"; exit 1; }
echo "get-caller-identity: $arn"
v=$(aws iam get-account-summary --query SummaryMap.GlobalEndpointTokenVersion --output text)
[ "$v" = 1 ] || { echo "new account should be at token version 1, got $v"; exit 1; }
aws iam set-security-token-service-preferences --global-endpoint-token-version v2Token
v=$(aws iam get-account-summary --query SummaryMap.GlobalEndpointTokenVersion --output text)
[ "$v" = 2 ] || { echo "after v2Token the summary should say 2, got $v"; exit 1; }
aws iam set-security-token-service-preferences --global-endpoint-token-version v1Token
if out=$(aws iam set-security-token-service-preferences --global-endpoint-token-version v3Token 2>&1); then
  echo "v3Token was accepted"; exit 1
fi
grep -q "ValidationError" <<<"$out" || { echo "expected ValidationError, got: $out"; exit 1; }
echo "set-security-token-service-preferences / get-account-summary: ok"
