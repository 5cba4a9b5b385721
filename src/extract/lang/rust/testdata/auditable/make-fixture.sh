#!/bin/sh
# Rebuilds `hello-auditable`: a small C program (no Rust toolchain or cargo-auditable needed) given
# the `.dep-v0` section cargo-auditable would embed: zlib-compressed JSON in the shape of
# cargo-auditable.schema.json (format 1), here for a crate `uses_json` depending on serde_json.
# Needs gcc, python3 (for zlib) and binutils' objcopy/strip. Run from this directory.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$tmp/hello.c"
gcc -Os -o "$tmp/hello" "$tmp/hello.c"
strip --strip-all "$tmp/hello"
python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(open("dep-v0.json", "rb").read(), 9))' >"$tmp/dep-v0.zlib"
objcopy --add-section .dep-v0="$tmp/dep-v0.zlib" "$tmp/hello" hello-auditable
chmod 755 hello-auditable
