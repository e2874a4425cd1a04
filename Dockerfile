# The checkout image: one static binary (CGO_ENABLED=0) on an empty base,
# running as an unprivileged user. The Helm chart runs it with a read-only
# root filesystem and an emptyDir on /tmp.
#
#   docker build --build-arg VERSION=0.1.0 --build-arg COMMIT="$(git rev-parse HEAD)" \
#     -t leaguepay/checkout:0.1.0 .
#   docker run --rm -e CHECKOUT_DATABASE_URL=... -p 8080:8080 leaguepay/checkout:0.1.0

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The context has no .git, so the build records no commit of its own:
# `checkout --version` reports these instead.
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/checkout ./cmd/checkout

FROM scratch
# CA roots for TLS to Stripe and to a managed PostgreSQL (sslmode=require/verify-full).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/checkout /usr/local/bin/checkout
# The distroless "nonroot" ids; numeric so that runAsNonRoot can verify them.
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/checkout"]
CMD ["serve"]
