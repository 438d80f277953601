#!/bin/sh
# Every `type: docker` sample in samples/ runs on a real engine and
# succeeds.  Secrets the sample takes get a made-up value; a sample that
# clones is run from a copy with the clone disabled (the clone step needs
# a reachable remote, which the test machine does not have).
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

n=0
for f in samples/*.yml; do
	grep -q '^type: docker' "$f" || continue
	n=$((n + 1))
	sname=$(basename "$f" .yml)
	in=$f
	if ! grep -q '^clone:' "$f"; then
		in=$TMP/$sname.yml
		sed 's/^type: docker$/type: docker\nclone:\n  disable: true/' "$f" >"$in"
	fi
	set --
	for s in $(sed -n 's/.*from_secret: *\([A-Za-z0-9_]*\).*/\1/p' "$f" | sort -u); do
		set -- "$@" --secret "$s=sample-value-$s"
	done
	"$PIPEC" run --backend=docker --trusted "$@" "$in" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	check "sample $sname: succeeds on docker" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/err" | grep -v warning | tail -5
	leak_check "sample $sname"
done
check "samples: docker samples found" [ $n -gt 0 ]
