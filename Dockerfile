# syntax=docker/dockerfile:1
#
# Agora's image: `agora serve` on 0.0.0.0:8080 as an unprivileged user,
# state (the SQLite file, uploads) in /data. README.md, section Container,
# tells how to build and run it and what was verified without an engine.
# docker/verify-rootfs.sh repeats the runtime stage in a debootstrap root:
# keep the two in step.

# Build: the toolchain the repository builds with, on the runtime's Debian
# release (the same glibc).
FROM rust:1.95-trixie AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY migrations ./migrations
COPY src ./src
# The registry and target directories are cache mounts: a rebuild after a
# source change recompiles Agora only, not its dependencies. The binary is
# copied out, since a cache mount is not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin agora \
    && install -D -m 0755 target/release/agora /out/agora

FROM debian:trixie-slim AS runtime
# ca-certificates: S3 storage (object_store's HTTP client) trusts the
# system's roots. PostgreSQL and SMTP carry their own (webpki-roots).
# Not pinned: the release's security updates should come in on rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed UID/GID, so a bind-mounted /data can be given to it
# (chown 10001:10001); named volumes take /data's owner from the image.
RUN groupadd --system --gid 10001 agora \
    && useradd --system --uid 10001 --gid agora --home-dir /data \
        --no-create-home --shell /usr/sbin/nologin agora \
    && install -d -o agora -g agora -m 0750 /data
COPY --from=build /out/agora /usr/local/bin/agora
WORKDIR /data
# Listen on every address (the default, 127.0.0.1, is unreachable from
# outside a container); production unless told otherwise, so JWT_SECRET,
# SMTP_URL and MAIL_FROM must be given; SQLite and uploads under /data
# unless DATABASE_URL and STORAGE_URL say otherwise.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    APP_ENV=production \
    DATABASE_URL=sqlite:///data/agora.db \
    STORAGE_URL=file:///data/uploads
USER 10001:10001
EXPOSE 8080
# `agora healthcheck` asks /health/live on this container's HOST and PORT
# (no curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["agora", "healthcheck"]
ENTRYPOINT ["agora"]
CMD ["serve"]
