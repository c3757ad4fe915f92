#!/usr/bin/env bash
# Extension-host tests (test/e2e/ext/*.test.ts) through the standard `npx vscode-test` (@vscode/test-cli), whose
# .vscode-test.mjs points useInstallation.fromPath at code-shim.js (code-server + headless chromium).
# Env: E2E_TOOLS_DIR, E2E_ARTIFACTS, E2E_RUNS, EXT_TIMEOUT (s, default 300). Exit 0 = all tests passed.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export E2E_TOOLS_DIR=${E2E_TOOLS_DIR:-$HERE/.tools} E2E_LIB="$HERE/lib"
export E2E_ARTIFACTS=${E2E_ARTIFACTS:-$REPO/artifacts/e2e}
E2E_RUNS=${E2E_RUNS:-/tmp/sinklens-e2e-runs}
export NPM_CONFIG_UPDATE_NOTIFIER=false
. "$HERE/lib/cs.sh"
T_START=$(now_ms)
cs_prepare_run ext
export SHIM_SCRATCH_DIR="$RUN" SHIM_PGID_FILE="$RUN/code-server.pgid" SHIM_TIMEOUT_MS=$(( ${EXT_TIMEOUT:-300} * 1000 - 20000 ))
kill_shim_server() { [[ -f "$SHIM_PGID_FILE" ]] && kill -KILL -- "-$(cat "$SHIM_PGID_FILE")" 2>/dev/null; rm -rf "$RUN_TMP"; return 0; }
trap kill_shim_server EXIT INT TERM
export E2E_WORKSPACE="$RUN/ws" E2E_EXT_OUT="$RUN/ext-tests-out" E2E_USER_DATA="$RUN/udd"
"$NODE24" -e "require('$HERE/lib/workspace.js').prepareWorkspace('$E2E_WORKSPACE')" || exit 4
mkdir -p "$E2E_ARTIFACTS"
# test-cli itself runs on the project's Node; the shim starts code-server on Node 24
( cd "$REPO" && timeout --kill-after=10 "${EXT_TIMEOUT:-300}" npx --no-install vscode-test ) 2>&1 | tee "$E2E_ARTIFACTS/ext-tests.log"
RC=${PIPESTATUS[0]}
kill_shim_server
grep -Eq '^\s*[0-9]+ passing' "$E2E_ARTIFACTS/ext-tests.log" || { echo "no mocha summary in the output"; [[ $RC -eq 0 ]] && RC=5; }
if [[ $RC -ne 0 ]]; then
  echo "--- SinkLens output channel (tail) ---"
  find "$RUN/udd/logs" -iname 'SinkLens.log' -exec tail -n 40 {} \; 2>/dev/null
fi
[[ $RC -eq 0 ]] && rm -rf "$RUN"
echo "extension-host tests rc=$RC in $(( $(now_ms) - T_START )) ms; log $E2E_ARTIFACTS/ext-tests.log"
exit $RC
