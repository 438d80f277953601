#!/bin/sh
# pipec runs its own CI on Docker: the repository's docker pipeline,
# pipec-debian, run by the built binary with `pipec run --pipeline
# pipec-debian` in a fresh clone of this checkout on the suite's engine,
# builds pipec in a container of the image tests/docker/toolchain-image.sh
# makes from the host's Debian packages (offline), on the clone bound at
# /drone/src, and runs every unit test suite there (`make unit`).
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -15; return 1; }; }

sh tests/docker/toolchain-image.sh >"$TMP/image.err" 2>&1
rc=$?
check "own CI on docker: the build image is made from the host's packages" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -10 "$TMP/image.err" | sed 's/^/#   /'

C=$TMP/checkout
checkout_copy "$C"
(cd "$C" && timeout 1500 "$PIPEC_BIN" run --backend=docker --pipeline pipec-debian) \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
check "own CI on docker: exits 0" exited 0 $rc
[ $rc -eq 0 ] || tail -30 "$TMP/out" | sed 's/^/#   /'
check "own CI on docker: the exec pipeline did not run" lacks "$TMP/err" lint-samples
check "own CI on docker: the build succeeded" has "$TMP/err" "  debian-build             success"
check "own CI on docker: the unit tests succeeded" has "$TMP/err" "  debian-unit              success"
for d in tests/unit/*/; do
	u=unit-$(basename "$d")
	check "own CI on docker: $u ran" has "$TMP/out" "== build/debian/tests/$u"
done
check "own CI on docker: no unit test failed" grep -Eq '[1-9][0-9]* passed, 0 failed, 0 skipped' "$TMP/out"
check "own CI on docker: pipec was built in the clone" [ -x "$C/build/debian/bin/pipec" ]
leak_check "own CI on docker"
