# syntax=docker/dockerfile:1
# Builder: the ordinary toolchain path (rustup's wasm32 target), the same tools the setup script installs.
FROM rust:1.96-bookworm AS builder
RUN rustup target add wasm32-unknown-unknown \
 && apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN cargo install --locked cargo-leptos@0.3.11 --features no_downloads
WORKDIR /src
COPY Cargo.toml Cargo.lock package.json package-lock.json ./
# wasm-bindgen-cli must equal the wasm-bindgen of Cargo.lock.
RUN cargo install wasm-bindgen-cli --version "$(awk '$0=="name = \"wasm-bindgen\""{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)" \
 && npm ci --no-audit --no-fund
COPY . .
ENV PATH=/src/node_modules/.bin:$PATH
RUN cargo leptos build --release

# Runtime: the binary and the site on a minimal non-root base.
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
