# The shakedown harness as an image: for scheduled runs inside the cluster (`shakedown schedule`)
# and for the pods of `--set loadWorkers=N`. Build it with image/build.sh, which packs the package
# and installs it with its production dependencies into the build context (app/), so the build
# itself needs no registry and no network:
#
#   image/build.sh                                   # FROM node:24-bookworm-slim, tag shakedown:<version>
#   image/build.sh --base my.registry/node:24 --tag my.registry/shakedown:0.1.0
#
# Any base with Node >= 22.19 as `node` on PATH will do (BASE). The image runs as a non-root user
# and writes nothing outside the volumes it is given (reports on --report-dir, HOME on /tmp), so
# it runs with a read-only root filesystem.
ARG BASE=node:24-bookworm-slim
FROM ${BASE}
COPY app/ /opt/shakedown/
ENV NODE_ENV=production \
    HOME=/tmp
WORKDIR /tmp
USER 65532:65532
ENTRYPOINT ["node", "/opt/shakedown/node_modules/shakedown/harness/cli/bin.js"]
CMD ["--help"]
