# syntax=docker/dockerfile:1
# hwnas trainer worker: the worker bundle (k8s/images/Dockerfile, APP=worker) on a PyTorch base with
# CUDA, so that the worker can run trainers (--trainer) per the contract hwnas.trainer/v1
# (docs/trainer-contract.md), one per GPU (--trainer-slots). Build the worker image first, then
# this one, from the repository root:
#   docker build -f k8s/images/Dockerfile --build-arg APP=worker -t hwnas/worker:dev .
#   docker build -f k8s/images/trainer-worker.Dockerfile -t hwnas/trainer-worker:dev .
#
# Build arguments:
#   WORKER_IMAGE   the worker image built above (its /app: bundle, pruned node_modules);
#   NODE_IMAGE     where the Node 20 binary comes from (the worker bundle needs Node 20);
#   TORCH_IMAGE    the PyTorch base: Python 3 and PyTorch with CUDA (the NVIDIA driver comes from
#                  the node, through the device plugin). A CPU-only base (e.g. Debian with
#                  python3-torch) works too, without GPUs.
# The reference trainer goes to /opt/hwnas/trainers/pytorch (the manifests' --trainer runs it);
# datasets and the benchmark tables are volumes, never baked in.
ARG WORKER_IMAGE=hwnas/worker:dev
ARG NODE_IMAGE=node:20-bookworm-slim
ARG TORCH_IMAGE=pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

FROM ${WORKER_IMAGE} AS worker
FROM ${NODE_IMAGE} AS node

FROM ${TORCH_IMAGE}
LABEL org.opencontainers.image.title="hwnas-trainer-worker" \
      org.opencontainers.image.description="hwnas worker with PyTorch: runs trainers per hwnas.trainer/v1, one per GPU" \
      org.opencontainers.image.licenses="MIT"
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=worker /app /app
COPY trainers/pytorch /opt/hwnas/trainers/pytorch
WORKDIR /app
# Read-only root filesystem: no bytecode caches, and every cache (torch, matplotlib) under /tmp.
ENV NODE_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
# Numeric, so that Kubernetes can verify runAsNonRoot; files stay root-owned and read-only.
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/node", "--enable-source-maps", "/app/dist/main.js"]
