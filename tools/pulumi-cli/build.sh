#!/usr/bin/env bash
# Build the Pulumi CLI at version $1 into directory $2 (the binary is $2/pulumi).
# A wrapper module is generated in $2/src (never committed), requiring pkg/v3 and sdk/v3 at
# the same version; `go mod tidy` resolves it through the Go module proxy and the Go
# checksum database, then `go build` compiles the CLI's main package from the module cache.
set -euo pipefail
version=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v go >/dev/null; then
  echo "engine-cli: no Go toolchain on PATH (Go 1.26.6 or newer is needed: https://go.dev/dl/)" >&2
  exit 1
fi
src=$dest/src
mkdir -p "$src"
cat >"$src/go.mod" <<MOD
module runctl.local/pulumicli

go 1.25

require (
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)
MOD
cp "$here/tools.go.txt" "$src/tools.go"
cd "$src"
echo "engine-cli: resolving github.com/pulumi/pulumi/pkg/v3@$version (go mod tidy)" >&2
go mod tidy
echo "engine-cli: compiling github.com/pulumi/pulumi/pkg/v3/cmd/pulumi" >&2
ldflag="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
go build -trimpath -ldflags "$ldflag" -o "$dest/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
mv "$dest/pulumi.tmp" "$dest/pulumi"
"$dest/pulumi" version
