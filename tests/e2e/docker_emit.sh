#!/bin/sh
# Emitted pipelines run on a real engine as `pipec run` runs them: every
# `type: docker` sample, written as a shell script (`pipec emit
# --format=sh`), runs against the test engine with the same step results
# and exit status as `pipec run --backend=docker`, and leaves nothing
# behind; its drone-runtime output (`--format=drone-runtime`), read back by
# pipec, runs with the same results when the format holds everything the
# sample uses; of a sample with health checks or artifacts, which the
# format drops, emitting warns [emit-unsupported].  Secrets get
# made-up values, and the clone is disabled (docker_sample).
. tests/lib.sh
. tests/docker/lib.sh
docker_setup

top=$(pwd)
case $PIPEC in /*) ;; *) PIPEC=$top/$PIPEC ;; esac
mkdir -p "$TMP/ws"

# drops SAMPLE STATUS: its drone-runtime emit exited 0, wrote the file and
# warned that a health check or an artifact is dropped.
drops() {
	[ "$2" -eq 0 ] && [ -s "$TMP/$1.json" ] &&
		grep -Eq "'(healthcheck|exports|imports)' of step .*\[emit-unsupported\]" "$TMP/emit.err"
}

n=0
for f in samples/*.yml; do
	grep -q '^type: docker' "$f" || continue
	n=$((n + 1))
	sname=$(basename "$f" .yml)
	docker_sample "$f"
	in=$sample_in
	set --
	env=
	for s in $sample_secrets; do
		set -- "$@" --secret "$s=sample-value-$s"
		env="$env SECRET_$(echo "$s" | tr '[:lower:]' '[:upper:]')=sample-value-$s"
	done
	(cd "$TMP/ws" && "$PIPEC" run --backend=docker --trusted "$@" "$in") >/dev/null 2>"$TMP/run.err"
	rc1=$?
	"$PIPEC" emit --format=sh "$in" >"$TMP/$sname.sh" 2>/dev/null
	# shellcheck disable=SC2086
	(cd "$TMP/ws" && env $env sh "$TMP/$sname.sh") >"$TMP/sh.out" 2>&1
	rc2=$?
	check "sample $sname: the script exits as pipec run does ($rc1, $rc2)" \
		[ "$rc1" -eq "$rc2" -a -s "$TMP/run.err" -a -s "$TMP/$sname.sh" ]
	if python3 tests/emit_results.py "$TMP/run.err" "$TMP/sh.out" >"$TMP/cmp"; then
		ok "sample $sname: the script's step results are pipec run's"
	else
		fail "sample $sname: the script's step results are pipec run's"; cat "$TMP/cmp"
		tail -5 "$TMP/sh.out" | sed 's/^/#   /'
	fi
	leak_check "sample $sname: script" [ -s "$TMP/$sname.sh" ]

	"$PIPEC" emit --format=drone-runtime "$in" >"$TMP/$sname.json" 2>"$TMP/emit.err"
	rc3=$?
	# The format has no health checks and no artifacts: a sample using
	# them cannot run the same from it, so what holds for it is that
	# emitting says what it drops, and the rest is written.
	if grep -Eq '^ *(healthcheck|exports|imports):' "$f"; then
		check "sample $sname: drone-runtime is written, warning of what it drops" drops "$sname" "$rc3"
		continue
	fi
	(cd "$TMP/ws" && "$PIPEC" run --backend=docker --trusted "$@" "$TMP/$sname.json") >/dev/null 2>"$TMP/dr.err"
	rc3=$?
	check "sample $sname: its drone-runtime output runs as the sample does ($rc1, $rc3)" \
		[ "$rc1" -eq "$rc3" -a -s "$TMP/run.err" -a -s "$TMP/dr.err" ]
	if python3 tests/emit_results.py "$TMP/run.err" "$TMP/dr.err" >"$TMP/cmp"; then
		ok "sample $sname: drone-runtime step results are pipec run's"
	else
		fail "sample $sname: drone-runtime step results are pipec run's"; cat "$TMP/cmp"
	fi
	leak_check "sample $sname: drone-runtime" said "$TMP/dr.err"
done
check "samples: docker samples found" [ $n -gt 0 ]

# A failing step, a policy and exit code 78 in containers.
cat >"$TMP/policies.yml" <<'YML'
kind: pipeline
type: docker
name: policies
clone:
  disable: true
steps:
- name: fails
  image: busybox
  commands: [exit 4]
- name: notify
  image: busybox
  commands: [echo notify]
  when:
    status: [failure]
- name: stop
  image: busybox
  commands: [exit 78]
  when:
    status: [success, failure]
- name: never
  image: busybox
  commands: [echo never]
  when:
    status: [success, failure]
YML
(cd "$TMP/ws" && "$PIPEC" run --backend=docker "$TMP/policies.yml") >/dev/null 2>"$TMP/run.err"
rc1=$?
"$PIPEC" emit --format=sh "$TMP/policies.yml" >"$TMP/policies.sh" 2>/dev/null
(cd "$TMP/ws" && sh "$TMP/policies.sh") >"$TMP/sh.out" 2>&1
rc2=$?
check "policies: the script exits as pipec run does ($rc1, $rc2)" \
	[ "$rc1" -eq "$rc2" -a -s "$TMP/run.err" -a -s "$TMP/policies.sh" ]
check "policies: which is a failure" exited 1 "$rc1" "$TMP/run.err"
check "policies: the same step results" python3 tests/emit_results.py "$TMP/run.err" "$TMP/sh.out"
leak_check "policies: script" [ -s "$TMP/policies.sh" ]
