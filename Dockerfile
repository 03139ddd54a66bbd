# syntax=docker/dockerfile:1
# Node 22 for the npm build tools (tailwindcss, binaryen's wasm-opt); Debian's Node is too old for them.
FROM node:22-bookworm-slim AS node

# Builder: the ordinary toolchain path (rustup's wasm32 target) with the tools the setup script installs.
FROM rust:1.96-bookworm AS builder
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && rustup target add wasm32-unknown-unknown \
 && cargo install --locked cargo-leptos@0.3.11 --features no_downloads
WORKDIR /src
COPY Cargo.toml Cargo.lock package.json package-lock.json ./
# wasm-bindgen-cli must equal the wasm-bindgen of Cargo.lock.
RUN cargo install wasm-bindgen-cli --version "$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)" \
 && npm ci --no-audit --no-fund
COPY . .
ENV PATH=/src/node_modules/.bin:$PATH
# Symbols are for profiling on a developer's machine; the image ships without them.
RUN cargo leptos build --release --precompress && strip target/release/berth

# Runtime: the binary and the site on a minimal non-root base (glibc only).
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=builder /src/target/release/berth /app/berth
COPY --from=builder /src/target/site /app/site
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:8080 \
    LEPTOS_ENV=PROD \
    RUST_LOG=info
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/app/berth"]
