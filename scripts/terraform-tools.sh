#!/usr/bin/env bash
# terraform-tools.sh — builds Terraform and the AWS provider from the Go
# module proxy for e2e/terraform_test.go (issue: deploy the AWS way) and
# prints the directory that holds them (TERRAFORM_TOOLS_DIR=...).
#
# The newest versions the module proxy serves whole are Terraform 0.11.14 and
# terraform-provider-aws 1.60.0: later provider releases are tagged v2+ without
# a /vN module path, so the proxy has no module version for them, and Terraform
# 1.x cannot load a 1.60 provider (plugin protocol 4). Both are built with Go
# 1.21 (taken from the module proxy as a toolchain), because their 2017-era
# dependencies panic at start under Go 1.22+ (ugorji/go's codec builds a base64
# alphabet with a duplicate symbol, which newer encoding/base64 refuses).
#
# Built once into ${XDG_CACHE_HOME:-~/.cache}/cognate-test/terraform; a second
# run only prints the directory.
set -euo pipefail

TF_VERSION=v0.11.14
PROVIDER_VERSION=v1.60.0
TOOLCHAIN=go1.21.13
dir="${TERRAFORM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cognate-test/terraform}"
plugins="$dir/plugins"
provider="$plugins/terraform-provider-aws_${PROVIDER_VERSION}_x4"

log() { printf '[terraform-tools] %s\n' "$*" >&2; }

# build MODULE VERSION OUT: copies the module's source out of the module cache
# (read-only there) and builds its main package.
build() {
  local module=$1 version=$2 out=$3 src work
  src=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] || { log "go mod download $module@$version gave no directory"; exit 1; }
  work=$(mktemp -d)
  cp -r "$src/." "$work" && chmod -R u+w "$work"
  log "building $module@$version with $TOOLCHAIN"
  (cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=$TOOLCHAIN CGO_ENABLED=0 go build -o "$out" .)
  rm -rf "$work"
}

mkdir -p "$plugins"
[ -x "$dir/terraform" ] || build github.com/hashicorp/terraform "$TF_VERSION" "$dir/terraform"
[ -x "$provider" ] || build github.com/hashicorp/terraform-provider-aws "$PROVIDER_VERSION" "$provider"
"$dir/terraform" version >/dev/null
echo "TERRAFORM_TOOLS_DIR=$dir"
