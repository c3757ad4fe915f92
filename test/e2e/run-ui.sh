#!/usr/bin/env bash
# One attempt of the UI test (ui/panel.e2e.js) against a fresh code-server with SinkLens linked into its
# extensions folder. Screenshots go to $E2E_ARTIFACTS/screenshots, logs to $E2E_ARTIFACTS/ui-logs.
# Env: E2E_TOOLS_DIR, E2E_ARTIFACTS, E2E_RUNS, UI_TIMEOUT (s, default 240), EXT_DIR (default: the repo). Exit 0 = pass.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export E2E_TOOLS_DIR=${E2E_TOOLS_DIR:-$HERE/.tools} E2E_LIB="$HERE/lib"
E2E_ARTIFACTS=${E2E_ARTIFACTS:-$REPO/artifacts/e2e}; E2E_RUNS=${E2E_RUNS:-/tmp/sinklens-e2e-runs}
. "$HERE/lib/cs.sh"
T_START=$(now_ms)
cs_prepare_run ui
trap 'cs_stop' EXIT INT TERM
# the extension folder name must be <publisher>.<name>-<version>; code-server registers a linked folder itself
EXT_DIR=${EXT_DIR:-$REPO}   # the extension under test (default: this repo, built)
ID=$("$NODE24" -p "const p=require('$EXT_DIR/package.json'); p.publisher+'.'+p.name+'-'+p.version")
ln -s "$EXT_DIR" "$RUN/exts/$ID"
WS=$("$NODE24" -e "const w=require('$HERE/lib/workspace.js').prepareWorkspace('$RUN/ws'); console.log(w.dir); if(!w.model) console.error('UI test uses the built-in model: stories260k fixture missing')")
[[ -n "$WS" ]] || { echo "could not prepare the test workspace"; exit 4; }
MODEL_NAME=$("$NODE24" -e "console.log(require('$HERE/lib/workspace.js').fixtureDir('stories260k') ? 'stories260k' : '')" 2>/dev/null)
cs_start "$WS" || exit 3
mkdir -p "$E2E_ARTIFACTS/screenshots"
CS_URL="$URL" WS_DIR="$WS" SHOTS_DIR="$E2E_ARTIFACTS/screenshots" E2E_HOME="$RUN/home" E2E_T0_MS="$T0" \
  EXPECT_MODEL_NAME="$MODEL_NAME" timeout --kill-after=10 "${UI_TIMEOUT:-240}" "$NODE24" "$HERE/ui/panel.e2e.js"
RC=$?
cs_stop
mkdir -p "$E2E_ARTIFACTS/ui-logs"
cp "$RUN/code-server.log" "$E2E_ARTIFACTS/ui-logs/" 2>/dev/null
[[ -d "$RUN/udd/logs" ]] && cp -r "$RUN/udd/logs" "$E2E_ARTIFACTS/ui-logs/vscode-logs" 2>/dev/null
if [[ $RC -ne 0 ]]; then
  echo "--- extension host log (tail) ---"
  find "$RUN/udd/logs" -name 'remoteexthost.log' -exec tail -n 40 {} \; 2>/dev/null
  find "$RUN/udd/logs" -iname '*sinklens*.log' -exec tail -n 40 {} \; 2>/dev/null
fi
[[ $RC -eq 0 ]] && rm -rf "$RUN"
echo "UI test rc=$RC in $(( $(now_ms) - T_START )) ms; screenshots in $E2E_ARTIFACTS/screenshots"
exit $RC
