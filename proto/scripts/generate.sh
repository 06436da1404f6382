#!/usr/bin/env bash
# Generates the TypeScript of proto/hwnas/**/*.proto with ts-proto into proto/src/gen/.
#
#   bash proto/scripts/generate.sh           regenerate proto/src/gen (replaces it whole)
#   bash proto/scripts/generate.sh --check   regenerate into a temp dir and fail (exit 1) if
#                                            proto/src/gen differs: stale or hand-edited code
#
# Uses the workspace's pinned protoc (npm `protoc`) and protoc-gen-ts_proto, so the output is
# byte-for-byte reproducible on every machine; the file headers record both versions.
#
# ts-proto options (see proto/README.md for the reasoning):
#   outputServices=grpc-js   service definitions + clients for @grpc/grpc-js
#   env=node                 Node only (Buffer for bytes; no browser shims)
#   esModuleInterop=true     matches tsconfig.base.json (esModuleInterop: true)
#   oneof=unions-value       oneofs as { $case, value } unions (pitfall 7 in shared/NOTES.md)
#   useOptionals=messages    message fields are `field?: Msg`; proto3 `optional` scalars are
#                            `field?: T` regardless, so absence stays detectable
#   forceLong=number         int64/uint64 as number; values above 2^53 throw on decode
#   exportCommonSymbols=false  no per-file DeepPartial/protobufPackage exports (src/index.ts is
#                            the public surface)
set -euo pipefail

proto_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(cd "$proto_dir/.." && pwd)
protoc="$root/node_modules/.bin/protoc"
plugin="$root/node_modules/.bin/protoc-gen-ts_proto"
gen="$proto_dir/src/gen"

for bin in "$protoc" "$plugin"; do
  [ -x "$bin" ] || { echo "generate.sh: $bin not found; run npm ci at the workspace root" >&2; exit 2; }
done

mode=write
case "${1:-}" in
  '') ;;
  --check) mode=check ;;
  *) echo "usage: generate.sh [--check]" >&2; exit 2 ;;
esac

opts=outputServices=grpc-js,env=node,esModuleInterop=true,oneof=unions-value,useOptionals=messages,forceLong=number,exportCommonSymbols=false

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Relative paths, sorted, so the generated `source:` headers and import paths do not depend on
# where the checkout lives or on directory order.
mapfile -t files < <(cd "$proto_dir" && find hwnas -name '*.proto' | LC_ALL=C sort)
(( ${#files[@]} > 0 )) || { echo "generate.sh: no .proto files under $proto_dir/hwnas" >&2; exit 2; }

(cd "$proto_dir" && "$protoc" \
  --plugin=protoc-gen-ts_proto="$plugin" \
  -I . \
  --ts_proto_out="$tmp" \
  --ts_proto_opt="$opts" \
  "${files[@]}")

if [ "$mode" = check ]; then
  if diff -r -u "$gen" "$tmp" >"$tmp.diff" 2>&1; then
    rm -f "$tmp.diff"
    echo "proto/src/gen is up to date (${#files[@]} proto files)"
    exit 0
  fi
  head -n 60 "$tmp.diff" >&2
  rm -f "$tmp.diff"
  echo "proto/src/gen is stale: it differs from what proto/hwnas/**/*.proto generates." >&2
  echo "Run 'npx nx run proto:generate' (or 'bash proto/scripts/generate.sh') and commit the result." >&2
  exit 1
fi

rm -rf "$gen"
mkdir -p "$(dirname "$gen")"
cp -r "$tmp" "$gen"
echo "generated $gen from ${#files[@]} proto files"
