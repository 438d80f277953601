#!/bin/sh
# make check-layers fails on what crosses a wall: in a copy of the tree
# (its build copied too, so only what is planted is rebuilt), a call from
# ir/ into runtime/, an include of runtime/ from ir/ and of validate's
# internal.h from runtime/ are each reported, and ir's unit tests no
# longer link.  The tree itself passing is `make test`'s own check.
. tests/lib.sh
B=${B:-build}
T=$TMP/tree
mkdir -p "$T"
tar -cf - --exclude=./build --exclude=./.git --exclude=./pipec . | tar -C "$T" -xf -
tar -cf - --exclude="$B/npm" --exclude="$B/san" --exclude="$B/fuzz" "$B" | tar -C "$T" -xf -

sym=$(nm -g --defined-only "$B/libruntime.a" | awk '$2 == "T" && $3 ~ /^rt_/ { print $3; exit }')
printf '\nvoid %s(void);\nvoid ir_planted(void);\nvoid ir_planted(void) { %s(); }\n' "$sym" "$sym" >>"$T/ir/names.c"
sed -i '0,/^#include "ir\/ir.h"/s//&\n#include "runtime\/runtime.h"/' "$T/ir/suggest.c"
sed -i '0,/^#include "runtime\/internal.h"/s//&\n#include "validate\/internal.h"/' "$T/runtime/report.c"

expect_exit 2 "check-layers fails on planted crossings" make -s -C "$T" SAN="$SAN" check-layers
check "a call from ir/ into runtime/ is named" \
	grep -q "^ir/names.c calls $sym, which runtime defines: ir may use only: no other stage" "$TMP/out"
check "an include of runtime/ from ir/ is named" \
	grep -q '^ir/suggest.c: includes runtime/runtime.h: ir may use only' "$TMP/out"
check "another stage's internal.h is named" \
	grep -q '^runtime/report.c: includes validate/internal.h: ' "$TMP/out"
expect_exit 2 "ir's unit tests do not link with a call into runtime/" \
	make -s -C "$T" SAN="$SAN" "$B/tests/unit-ir"
check "the linker names the call" grep -q "undefined reference to .$sym" "$TMP/err"
