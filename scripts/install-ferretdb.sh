#!/usr/bin/env bash
# Builds the project's FerretDB (v1.24.2 on PostgreSQL, behind the write guard; see tools/ferretdb
# and shared/design/STORAGE.md) into .tools/bin/ferretdb.
#
# Builds only when the binary is missing or older than a file under tools/ferretdb; quiet when
# there is nothing to do. Needs Go 1.24 or newer; Go modules come from the Go module proxy.
# A cold build (empty Go build cache) takes a minute or two.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/tools/ferretdb"
bin="$root/.tools/bin/ferretdb"

# Up to date: the binary exists and neither tools/ferretdb nor this script changed since.
if [[ -x "$bin" ]] && [[ -z "$(find "$src" "${BASH_SOURCE[0]}" -type f -newer "$bin" -print -quit)" ]]; then
  exit 0
fi

export GOTOOLCHAIN=local # never download another toolchain: the version check below is the contract

# Go: on PATH, or where the official tarball puts it.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-ferretdb: Go 1.24 or newer is needed to build FerretDB, and 'go' is not on PATH." >&2
  echo "  Install Go (the official release in /usr/local/go, or your package manager's), or set MONGODB_URL" >&2
  echo "  to a running MongoDB to skip FerretDB." >&2
  exit 1
fi
go_version="$(go env GOVERSION)" # e.g. go1.26.8, go1.24rc1
if ! [[ "$go_version" =~ ^(devel )?go1\.([0-9]+) ]] || ((BASH_REMATCH[2] < 24)); then
  echo "install-ferretdb: Go 1.24 or newer is needed to build FerretDB, found $go_version ($(command -v go))." >&2
  echo "  Install a newer Go (the official release in /usr/local/go, or your package manager's), or set" >&2
  echo "  MONGODB_URL to a running MongoDB to skip FerretDB." >&2
  exit 1
fi

echo "install-ferretdb: building $bin (a first build downloads Go modules and takes a few minutes)" >&2
mkdir -p "$(dirname "$bin")"
tmp="$bin.tmp.$$"
# CGO_ENABLED=0: FerretDB and pgx are pure Go, so no C compiler is needed.
# -buildvcs=false: no git stamping (and no failure where git is missing).
# ferretdb_no_sqlite: only the PostgreSQL backend is used, so skip compiling the SQLite one.
# FerretDB itself is built with the project's patches (tools/ferretdb/patches, applied in order
# to the FerretDB module's source; tools/ferretdb/patches/wire, to its wire protocol module): the
# modules are vendored into a scratch copy of tools/ferretdb, the patches are applied to the
# vendored copies, and the build uses them.
if ! command -v patch >/dev/null 2>&1; then
  echo "install-ferretdb: the 'patch' tool is needed to apply tools/ferretdb/patches (Debian: apt-get install patch)." >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -f "$tmp"; rm -rf "$work"' EXIT
(
  cp -R "$src/." "$work/"
  cd "$work"
  export CGO_ENABLED=0 GOFLAGS="-buildvcs=false"
  # A progress line every 15 s, so a slow first build (module downloads, then compiling) does
  # not look stuck.
  (while sleep 15; do echo "install-ferretdb: still building..." >&2; done) &
  ticker=$!
  trap 'kill "$ticker" 2>/dev/null' EXIT
  go mod vendor
  for p in "$src"/patches/*.patch; do
    patch --quiet --forward -p1 -d vendor/github.com/FerretDB/FerretDB <"$p"
  done
  # patches/wire: to FerretDB's wire protocol module, github.com/FerretDB/wire.
  for p in "$src"/patches/wire/*.patch; do
    [[ -e "$p" ]] || continue
    patch --quiet --forward -p1 -d vendor/github.com/FerretDB/wire <"$p"
  done
  go build -mod=vendor -trimpath -tags ferretdb_no_sqlite -o "$tmp" .
)
mv -f "$tmp" "$bin" # atomic: a concurrent run never sees half a binary
echo "install-ferretdb: done" >&2
