#!/bin/sh
# Emitted Kubernetes Jobs run as `pipec run` runs the pipeline, on a fake
# Kubernetes API server (tests/kube: kubernetes-models checks every object;
# a Job gets one Pod from its template, whose containers run on the test
# engine, init containers in order and native sidecars held until their
# startup probe passes): every `type: docker` sample, written with `pipec
# emit --format=kube` and applied, ends with the step results and outcome
# of `pipec run --backend=docker`, and deleting it leaves nothing behind.
# Secrets get made-up values, and the clone is disabled (docker_sample).
. tests/lib.sh
. tests/kube/lib.sh
kube_setup

top=$(pwd)
case $PIPEC in /*) ;; *) PIPEC=$top/$PIPEC ;; esac
mkdir -p "$TMP/ws"

# jobs_same NAME FILE [SECRET=VALUE...]: FILE run by pipec and as emitted
# Jobs give the same step results and outcome.
jobs_same() {
	js_name=$1 js_file=$2; shift 2
	args= data=
	for s in "$@"; do
		args="$args --secret $s"
		data="$data\"${s%%=*}\": \"$(printf %s "${s#*=}" | base64 -w0)\", "
	done
	# shellcheck disable=SC2086
	(cd "$TMP/ws" && "$PIPEC" run --backend=docker --trusted $args "$js_file") >/dev/null 2>"$TMP/run.err"
	rc1=$?
	{
		printf '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sample-secrets"}, "data": {%s}}\n---\n' \
			"${data%, }"
		(cd "$TMP/ws" && "$PIPEC" emit --format=kube --secret-name=sample-secrets "$js_file") 2>"$TMP/emit.err"
	} >"$TMP/$js_name.kube.yml" || { sed 's/^/#   /' "$TMP/emit.err"; return 1; }
	python3 tests/kube/run_jobs.py "$KUBE_URL" test-token ci "$TMP/$js_name.kube.yml" >"$TMP/jobs.out"
	rc2=$?
	want=$([ "$rc1" -eq 0 ] && echo 0 || echo 1)
	[ "$rc2" -eq "$want" ] || { echo "#   exit $rc1 (pipec run), $rc2 (jobs)"; sed 's/^/#   /' "$TMP/jobs.out"; return 1; }
	python3 tests/emit_results.py "$TMP/run.err" "$TMP/jobs.out"
}

n=0
for f in samples/*.yml; do
	grep -q '^type: docker' "$f" || continue
	n=$((n + 1))
	sname=$(basename "$f" .yml)
	docker_sample "$f"
	set --
	for s in $sample_secrets; do
		set -- "$@" "$s=sample-value-$s"
	done
	check "sample $sname: its Jobs run with the step results of pipec run" jobs_same "$sname" "$sample_in" "$@"
	kube_leak_check "sample $sname" grep -q '^kind: Job' "$TMP/$sname.kube.yml"
done
check "samples: docker samples found" [ $n -gt 0 ]

# A failing step ends its Job as Failed, the steps after it not run, as
# pipec run reports them; the pipelines of a file run as Jobs one after
# another, in depends_on order.
cat >"$TMP/fails.yml" <<'YML'
kind: pipeline
type: docker
name: first
clone:
  disable: true
steps:
- {name: prepare, image: busybox, commands: [echo prepared]}
---
kind: pipeline
type: docker
name: second
clone:
  disable: true
depends_on: [first]
steps:
- {name: greet, image: busybox, commands: [echo hello]}
- {name: broken, image: busybox, commands: [exit 3]}
- {name: never, image: busybox, commands: [echo never]}
YML
check "a failing step: the Jobs' results and outcome are pipec run's" jobs_same fails "$TMP/fails.yml"
check "a failing step: the second Job failed, after the first completed" \
	sh -c "grep '^\[pipec\] job' '$TMP/jobs.out' | tr '\n' ' ' | grep -qx '\[pipec\] job first: Complete \[pipec\] job second: Failed '"
kube_leak_check "a failing step" grep -q '^kind: Job' "$TMP/fails.kube.yml"
