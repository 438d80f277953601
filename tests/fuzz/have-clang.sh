#!/bin/sh
# Prints "yes" when $FUZZ_CC (clang) builds and links a libFuzzer target
# under ASan+UBSan, which is what the fuzz targets need; else nothing.
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null 2>&1 || exit 0
d=$(mktemp -d) || exit 0
trap 'rm -rf "$d"' EXIT
cat >"$d/t.c" <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; return (int)(size & 0); }
C
"$cc" -fsanitize=fuzzer,address,undefined -o "$d/t" "$d/t.c" >/dev/null 2>&1 && echo yes
