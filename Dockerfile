# grpcdouble's image: the standalone gRPC test double.
#
# Stage "local" (first, so `docker build --target local` needs no image pull)
# packs a static binary built on the host:
#
#   CGO_ENABLED=0 go build -trimpath -o grpcdouble ./cmd/grpcdouble
#   docker build --target local -t grpcdouble .
#
# Stage "image" (the default target) builds the binary in a golang image,
# for machines that can pull one:
#
#   docker build -t grpcdouble .
#
# Both serve the folder mounted at /data: .proto files under /data/protos
# (also the import path), stub files under /data/stubs.
#
#   docker run --rm -p 50051:50051 -p 9090:9090 -v "$PWD/testdata/standalone:/data:ro" grpcdouble
#
# The admin API listens on 0.0.0.0:9090 inside the container; set
# GRPCDOUBLE_ADMIN_TOKEN (docker run -e) to require a bearer token, and
# publish it on loopback only (-p 127.0.0.1:9090:9090) otherwise.

FROM scratch AS local
COPY cmd/grpcdouble/docker/passwd /etc/passwd
COPY cmd/grpcdouble/docker/group /etc/group
COPY grpcdouble /grpcdouble
USER nonroot:nonroot
EXPOSE 50051 9090
ENTRYPOINT ["/grpcdouble"]
CMD ["serve", "--listen", "0.0.0.0:50051", "--admin", "0.0.0.0:9090", "--proto", "/data/protos", "--stubs", "/data/stubs"]

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/grpcdouble ./cmd/grpcdouble

FROM scratch AS image
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY cmd/grpcdouble/docker/passwd /etc/passwd
COPY cmd/grpcdouble/docker/group /etc/group
COPY --from=build /out/grpcdouble /grpcdouble
USER nonroot:nonroot
EXPOSE 50051 9090
ENTRYPOINT ["/grpcdouble"]
CMD ["serve", "--listen", "0.0.0.0:50051", "--admin", "0.0.0.0:9090", "--proto", "/data/protos", "--stubs", "/data/stubs"]
