# fedcheck in a container: the release binary on Debian slim, with libxmlsec1 for the second engine.
#
#   docker build -t fedcheck .
#   docker run --rm -v "$PWD:/work" fedcheck check /work/capture.har --metadata /work/FederationMetadata.xml
#
# The image runs as an unprivileged user, with /work as its working directory (mount your captures there).
FROM rust:1-slim-bookworm AS build
RUN apt-get -o DPkg::Lock::Timeout=600 update \
 && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
      libclang-dev libxmlsec1-dev libxml2-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin fedcheck \
 && strip target/release/fedcheck

FROM debian:bookworm-slim
RUN apt-get -o DPkg::Lock::Timeout=600 update \
 && apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
      libxmlsec1 libxmlsec1-openssl libxml2 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work fedcheck \
 && mkdir -p /work && chown fedcheck /work
COPY --from=build /src/target/release/fedcheck /usr/local/bin/fedcheck
USER fedcheck
WORKDIR /work
ENTRYPOINT ["fedcheck"]
CMD ["--help"]
