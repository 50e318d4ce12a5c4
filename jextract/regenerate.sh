#!/usr/bin/env bash
# Regenerates the bindings under src/main/java/io/ffmepoll/internal/gen from linux.h and
# symbols.txt, for every supported architecture, each from its own headers.
#
#   JEXTRACT=/path/to/jextract jextract/regenerate.sh
#
# JEXTRACT is a jextract launcher you have built yourself (see jextract/README.md for the
# revision). The output is committed; nothing in the build runs this script.
#
# symbols.txt is the one list of what is bound. A line ending in "# per architecture" is
# generated once per architecture into internal.gen.<arch>; every other line is generated into
# internal.gen, once per architecture too, and the script stops unless every architecture's
# output is byte for byte the same (then it is written once).
#
# Each architecture's headers: the machine's own (/usr/include/<triple>, /usr/include) when it
# is that architecture, otherwise Debian's cross headers (/usr/<triple>/include, from
# libc6-dev-<debian-arch>-cross and linux-libc-dev-<debian-arch>-cross).
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
# Java package suffix and GNU triple of each supported architecture.
archs=(x86_64 aarch64)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The two argument files: strip comments and blank lines, split on the marker.
marker='#[[:space:]]*per architecture'
grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$here/symbols.txt" > "$tmp/all"
grep -v -e "$marker" "$tmp/all" | sed -e 's/[[:space:]]*#.*//' > "$tmp/shared.args"
{ grep -e "$marker" "$tmp/all" || true; } | sed -e 's/[[:space:]]*#.*//' > "$tmp/arch.args"

headers() {   # the include directories of architecture $1, or a message and failure
    local triple=$1-linux-gnu
    if [ "$(uname -m)" = "$1" ] && [ -d "/usr/include/$triple" ]; then
        echo "/usr/include/$triple /usr/include"
    elif [ -d "/usr/$triple/include" ]; then
        echo "/usr/$triple/include"
    else
        echo "no $1 headers: install Debian's libc6-dev-<arch>-cross and linux-libc-dev-<arch>-cross" >&2
        return 1
    fi
}

# run ARCH ARGS PACKAGE: jextract in a directory whose compile_flags.txt selects the target and
# that architecture's headers only (-nostdinc keeps the machine's own out of a cross run).
run() {
    local arch=$1 args=$2 package=$3 dir="$tmp/$1.$(basename "$2" .args)"
    mkdir -p "$dir"
    { echo "--target=$arch-linux-gnu"; echo -nostdinc
      for d in $(headers "$arch"); do echo -isystem; echo "$d"; done; } > "$dir/compile_flags.txt"
    (cd "$dir" && "$jextract" --output "$dir/src" --target-package "$package" --header-class-name Linux \
        @"$args" "$here/linux.h") >&2
    echo "$dir/src/${package//.//}"
}

# write FROM TO: the findOrThrow rewrite, into the source tree.
write() {
    mkdir -p "$2"
    for f in "$1"/*.java; do
        sed -e 's/\.findOrThrow(\([^)]*\))/.find(\1).orElseThrow()/g' "$f" > "$2/$(basename "$f")"
    done
    echo "regenerated $(ls "$2" | wc -l) files in ${2#"$top"/}"
}

shared=()
for a in "${archs[@]}"; do shared+=("$(run "$a" "$tmp/shared.args" "$pkg")"); done
for i in "${!archs[@]}"; do
    if ! diff -r "${shared[0]}" "${shared[$i]}" > "$tmp/diff"; then
        echo "the shared bindings differ between ${archs[0]} and ${archs[$i]}:" >&2
        head -40 "$tmp/diff" >&2
        echo "mark each symbol whose binding differs '# per architecture' in symbols.txt" >&2
        exit 1
    fi
done

# Every check passed: replace the whole generated tree.
rm -rf "$out"
write "${shared[0]}" "$out"
if [ -s "$tmp/arch.args" ]; then
    for a in "${archs[@]}"; do write "$(run "$a" "$tmp/arch.args" "$pkg.$a")" "$out/$a"; done
fi
