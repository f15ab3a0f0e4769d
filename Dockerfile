# roster: a static binary on distroless, running as a non-root user.
#
#   docker build -t roster \
#     --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg BUILD_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) .
#   docker run -p 8080:8080 -v roster-data:/data roster
#
# The build context has no .git (see .dockerignore), so the version, commit
# and date come in as build arguments rather than from the toolchain's VCS
# stamp.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG BUILD_DATE=unknown
# CGO_ENABLED=0: SQLite is modernc.org/sqlite, pure Go, so the binary is
# static and needs no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.buildDate=${BUILD_DATE}" \
      -o /out/roster ./cmd/roster \
 && mkdir -p /out/data

# distroless/static has CA certificates (for metadata URLs, webhooks and
# PostgreSQL over TLS), tzdata and a nonroot user (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# Listen on every interface inside the container; keep the SQLite database
# on the volume. Set ROSTER_DATABASE for PostgreSQL and ROSTER_BASE_URL to
# the public URL.
ENV ROSTER_ADDR=0.0.0.0:8080 \
    ROSTER_DATA_DIR=/data \
    ROSTER_LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
# No shell in the image: roster asks itself (it reads ROSTER_ADDR too).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/roster", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
