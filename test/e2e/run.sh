#!/usr/bin/env bash
# Builds iamd, starts it on a fresh data directory with preset root credentials, and runs the end-to-end
# scripts (AWS CLI and boto3) and the JavaScript SDK v3 tests (test/e2e/js, node --test) against it.
# Used by .ci/run; runnable by hand (it installs the JavaScript packages with npm ci when they are missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/iamd
go build -o "$bin" ./cmd/iamd
data=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
export IAMD_ROOT_ACCESS_KEY_ID=AKIAIAMDE2EROOT00001 IAMD_ROOT_SECRET_ACCESS_KEY=e2eRootSecretKeyForTheEndToEndTests00001
# The public listener serves the outbound web identity federation issuers (iam_outbound_federation.py).
pubport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --public-listen "127.0.0.1:$pubport" --data-dir "$data" --region-transition-delay 0 >"$data/server.log" 2>&1 &
pid=$!
# dev_*.py are suites written for moto and LocalStack: they run against a second server, in dev mode.
devdata=$(mktemp -d)
devport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$bin" serve --dev --listen "127.0.0.1:$devport" --data-dir "$devdata" >"$devdata/server.log" 2>&1 &
devpid=$!
trap 'kill $pid $devpid 2>/dev/null; wait $pid $devpid 2>/dev/null || true' EXIT
for p in $port $devport; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$p/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
export IAMD_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=$IAMD_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$IAMD_ROOT_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE || true
failed=0 passed=0
for script in test/e2e/*.sh test/e2e/*.py; do
  case "$script" in */run.sh) continue ;; esac
  echo "--- $script"
  endpoint=$IAMD_ENDPOINT log=$data/server.log
  case "$script" in */dev_*) endpoint="http://127.0.0.1:$devport" log=$devdata/server.log ;; esac
  # IAMD_SERVER_LOG lets a script read what the server logs (the Account API's one-time codes without --smtp-url).
  if case "$script" in *.py) IAMD_ENDPOINT=$endpoint IAMD_SERVER_LOG=$log python3 "$script" ;; *) IAMD_ENDPOINT=$endpoint IAMD_SERVER_LOG=$log bash "$script" ;; esac; then
    passed=$((passed+1))
  else
    failed=$((failed+1)); echo "FAILED: $script"; tail -n 30 "$log"
  fi
done
# The JavaScript tests share the server and change account-wide settings (token version, opt-in regions):
# one file at a time. The SDK's notice that releases after early 2027 need Node.js 22 is not about this run.
echo "--- test/e2e/js (node --test)"
[ -d test/e2e/js/node_modules ] || (cd test/e2e/js && npm ci --no-audit --no-fund)
if (cd test/e2e/js && AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --test --test-concurrency=1); then
  passed=$((passed+1))
else
  failed=$((failed+1)); echo "FAILED: test/e2e/js"; tail -n 30 "$data/server.log"
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
