# Build the operator as a static binary, ship it on distroless (no shell, no
# package manager, non-root).
FROM golang:1.27.3 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace

# Modules first: this layer stays cached while only the sources change.
COPY go.mod go.sum ./
RUN go mod download

# .dockerignore keeps bin/, test/, hack/ and config/ out of the context.
COPY . .
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o manager .

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
