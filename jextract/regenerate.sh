#!/usr/bin/env bash
# Regenerates src/main/java/io/ffmepoll/internal/gen from linux.h and symbols.txt.
#
#   JEXTRACT=/path/to/jextract jextract/regenerate.sh
#
# JEXTRACT is a jextract launcher you have built yourself (see jextract/README.md for the
# revision). The output is committed; nothing in the build runs this script.
#
# One mechanical rewrite follows jextract, because the library compiles with --release 22:
# jextract master emits SymbolLookup.findOrThrow(name), added in JDK 23. It is replaced by the
# JDK 22 equivalent find(name).orElseThrow(), which throws NoSuchElementException for a missing
# symbol instead of an IllegalArgumentException. Nothing else is touched.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
pkg=io.ffmepoll.internal.gen
out="$top/src/main/java/${pkg//.//}"
jextract=${JEXTRACT:-jextract}

rm -rf "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -v -e '^#' -e '^[[:space:]]*$' "$here/symbols.txt" > "$tmp/args"
"$jextract" --output "$tmp/src" --target-package "$pkg" --header-class-name Linux \
    @"$tmp/args" "$here/linux.h"
mkdir -p "$out"
for f in "$tmp/src/${pkg//.//}"/*.java; do
    sed -e 's/\.findOrThrow(\([^)]*\))/.find(\1).orElseThrow()/g' "$f" > "$out/$(basename "$f")"
done
echo "regenerated $(ls "$out" | wc -l) files in $out"
