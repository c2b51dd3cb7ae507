#!/usr/bin/env bash
# Places MedGemma 4B (google/medgemma-4b-it) as an ONNX export for @huggingface/transformers at
# models/medgemma-4b-it/, for machines that have internet. Never run by setup or the tests: no code
# path downloads a model at run time.
#
# 1. Shows the Health AI Developer Foundations terms and requires you to accept them.
# 2. Lists the export's files at the manifest's repository and revision (models/medgemma-4b-it.json),
#    and fetches the shared files plus the chosen variant's graphs and their external-data shards.
# 3. Checks SHA-256: against the manifest's pinned values where it has them, otherwise against the
#    SHA-256 the hub publishes for each LFS object; writes SHA256SUMS beside the files.
#
# Usage: scripts/fetch-medgemma.sh [q4|fp16] [--accept-terms]
#   q4 (default): about 3 GB, CPU or GPU.  fp16: about 8 GB, for a GPU box.
#   HF_TOKEN=...        a Hugging Face token, if the repository is gated for your account
#   MEDGEMMA_REPO=...   another export (same layout); MEDGEMMA_REVISION=... a commit to pin
set -euo pipefail
cd "$(dirname "$0")/.."

variant="q4"
accept="no"
for arg in "$@"; do
  case "$arg" in
    q4 | fp16) variant="$arg" ;;
    --accept-terms) accept="yes" ;;
    *) echo "usage: $0 [q4|fp16] [--accept-terms]" >&2; exit 2 ;;
  esac
done

manifest="models/medgemma-4b-it.json"
dir="models/medgemma-4b-it"
field() { node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = process.argv[2].split(".").reduce((o, k) => o?.[k], m); process.stdout.write(Array.isArray(v) ? v.join("\n") : String(v ?? ""));' "$manifest" "$1"; }
repo="${MEDGEMMA_REPO:-$(field source.huggingface)}"
revision="${MEDGEMMA_REVISION:-$(field source.revision)}"
terms="$(field termsUrl)"
auth=()
[ -n "${HF_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $HF_TOKEN")

cat <<TERMS
MedGemma is provided by Google under the Health AI Developer Foundations Terms of Use:
  $terms
Among other things, the terms say that the model is not a medical device, that its outputs must not
be used for clinical diagnosis or treatment decisions without independent verification, and that its
use must follow the prohibited use policy. GI Copilot shows its answers as AI-generated and
educational, never as a diagnosis. Read the full terms at the address above before you go on.
TERMS
if [ "$accept" != "yes" ]; then
  if [ ! -t 0 ]; then
    echo "fetch-medgemma: not a terminal; pass --accept-terms once you have read and accepted the terms" >&2
    exit 1
  fi
  read -r -p "Type 'I accept' to accept the terms and download: " answer
  [ "$answer" = "I accept" ] || { echo "fetch-medgemma: terms not accepted; nothing downloaded" >&2; exit 1; }
fi

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-medgemma: listing $repo at $revision"
curl -fsSL "${auth[@]}" "https://huggingface.co/api/models/$repo/tree/$revision?recursive=true" -o "$tmp/tree.json" ||
  { echo "fetch-medgemma: cannot list $repo (gated? set HF_TOKEN after accepting access on huggingface.co)" >&2; exit 1; }

# path <TAB> lfs sha256 (or '-') for every file we need: the shared files, then each graph of the
# variant with its external-data shards.
node -e '
const fs = require("fs");
const [treePath, manifestPath, variant] = process.argv.slice(1);
const tree = JSON.parse(fs.readFileSync(treePath, "utf8")).filter((e) => e.type === "file");
const m = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
const graphs = m.variants[variant];
if (!graphs) { console.error(`no variant ${variant} in the manifest`); process.exit(1); }
const want = [];
for (const name of m.common) {
  const e = tree.find((f) => f.path === name);
  if (!e) { console.error(`the export lacks ${name}`); process.exit(1); }
  want.push(e);
}
for (const g of graphs) {
  const e = tree.find((f) => f.path === g);
  if (!e) { console.error(`the export lacks ${g} (variant ${variant})`); process.exit(1); }
  want.push(e, ...tree.filter((f) => f.path.startsWith(`${g}_data`)));
}
for (const e of want) console.log(`${e.path}\t${e.lfs?.oid ?? "-"}`);
' "$tmp/tree.json" "$manifest" "$variant" >"$tmp/files.tsv"

mkdir -p "$dir/onnx"
: >"$tmp/SHA256SUMS"
while IFS=$'\t' read -r path published; do
  pinned="$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(m.sha256?.[process.argv[2]] ?? "");' "$manifest" "$path")"
  expected="${pinned:-$published}"
  target="$dir/$path"
  if [ -f "$target" ] && [ "$expected" != "-" ] && [ "$(sha256 "$target")" = "$expected" ]; then
    echo "fetch-medgemma: $path already in place"
  else
    echo "fetch-medgemma: fetching $path"
    curl -fL --retry 3 "${auth[@]}" "https://huggingface.co/$repo/resolve/$revision/$path" -o "$tmp/part"
    actual="$(sha256 "$tmp/part")"
    if [ "$expected" != "-" ] && [ "$actual" != "$expected" ]; then
      echo "fetch-medgemma: SHA-256 MISMATCH for $path: expected $expected, got $actual" >&2
      exit 1
    fi
    [ "$expected" = "-" ] && echo "fetch-medgemma: $path is a small file with no published SHA-256; recorded $actual"
    mkdir -p "$(dirname "$target")"
    mv "$tmp/part" "$target"
  fi
  echo "$(sha256 "$target")  $path" >>"$tmp/SHA256SUMS"
done <"$tmp/files.tsv"

grep -q '"processor_class": *"Gemma3Processor"' "$dir/preprocessor_config.json" ||
  echo "fetch-medgemma: WARNING: preprocessor_config.json lacks \"processor_class\": \"Gemma3Processor\"; add it, or images are silently left out" >&2
mv "$tmp/SHA256SUMS" "$dir/SHA256SUMS"
echo "fetch-medgemma: done. Variant $variant in $dir (checksums in $dir/SHA256SUMS)."
echo "Start the edge or hub with GIC_VLM_DTYPE=$variant (GIC_VLM_MODEL_DIR=$dir if it lives elsewhere)."
