#!/bin/sh
# pipec runs its own CI: the repository's .drone.yml, run by the built
# binary with `pipec run --include build --include unit` in a fresh git
# clone of this checkout (the committed tree, local backend), builds pipec
# there and runs its unit tests.  The unit step runs `make unit`, never
# `make test`, so this does not run itself again.
. tests/lib.sh

has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -15; return 1; }; }

C=$TMP/checkout
checkout_copy "$C"
check "own CI: the copy has the .drone.yml" [ -f "$C/.drone.yml" ]
# The steps inherit this environment, so the outer make's variables
# (MAKEFLAGS, SAN, B under `make SAN=1 test`) are removed: the clone is
# built as a user's plain `make` builds it.
(cd "$C" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN -u B \
	timeout 1200 "$PIPEC_BIN" run --backend=local --include build --include unit \
	--report "$TMP/report.json") >"$TMP/out" 2>"$TMP/err"
rc=$?
check "own CI: exits 0, the steps print" [ "$rc" -eq 0 -a -s "$TMP/out" ]
[ "$rc" -eq 0 ] || tail -30 "$TMP/out" | sed 's/^/#   /'
check "own CI: reads .drone.yml" has "$TMP/err" "reading .drone.yml"
check "own CI: build succeeded" has "$TMP/err" "  build                    success"
check "own CI: unit succeeded" has "$TMP/err" "  unit                     success"
check "own CI: the unit tests ran" has "$TMP/out" "passed, 0 failed"
check "own CI: lint-samples was left out" \
	sh -c 'grep -q "passed, 0 failed" "$1" && ! grep -q "lint-samples" "$1"' - "$TMP/out"
check "own CI: the docker pipeline did not run" \
	sh -c 'grep -q "reading .drone.yml" "$1" && ! grep -q "pipec-debian" "$1"' - "$TMP/err"
check "own CI: pipec was built in the clone" [ -x "$C/build/bin/pipec" ]
