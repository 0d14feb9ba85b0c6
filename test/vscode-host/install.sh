#!/bin/sh
# Installs the VS Code the e2e tests run in: code-server 4.100.3 (VS Code 1.100.3, the newest
# code-server that allows Node 20) and playwright-core, which drives Debian's chromium.
# Idempotent: does nothing once code-server's own VS Code dependencies are in place.
# Needs (Debian): chromium libkrb5-dev ripgrep, plus make, g++ and python3 for the native builds.
# See ../../../shared/vscode-offline.md for why each step below exists.
set -eu
cd "$(dirname "$0")"
if [ -d node_modules/code-server/lib/vscode/node_modules ] && [ -d node_modules/playwright-core ]; then
  echo "vscode-host: already installed"
  exit 0
fi
for tool in rg make g++ python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "vscode-host: $tool is missing (apt-get install -y ripgrep build-essential python3)" >&2; exit 1; }
done
[ -e /usr/include/gssapi/gssapi.h ] || { echo "vscode-host: gssapi.h is missing (apt-get install -y libkrb5-dev)" >&2; exit 1; }

# @vscode/ripgrep's postinstall downloads a binary from GitHub unless its cache holds the
# tarball: seed the cache with Debian's rg (13.0.0, the version code-server's pin expects).
RG_CACHE="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
RG_TAR="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
mkdir -p "$RG_CACHE"
[ -f "$RG_TAR" ] || tar czf "$RG_TAR" -C "$(dirname "$(command -v rg)")" rg

# npm_config_yes: node-pty's postinstall runs `npx node-gyp`; unsafe_perm: postinstall.sh as root;
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: we use Debian's chromium, never a downloaded one.
export npm_config_yes=true npm_config_unsafe_perm=true PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --foreground-scripts
