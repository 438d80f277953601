#!/bin/sh
# Written by `pipec emit --format=sh` from artifacts.yml: runs its pipelines
# with the docker CLI, in the current directory as the workspace
# (or $PIPEC_WORKSPACE).  A secret NAME is read from $SECRET_NAME.
# Exit status: 0 success, 1 a step failed, 130 interrupted.
set -u
# each step in a process group of its own, which the cleanup stops whole
set -m 2>/dev/null

made_ctrs='' made_vols='' made_nets='' made_pids='' made_dirs='' status=0

cleanup() {
	for p in $made_pids; do kill -TERM -- "-$p" 2>/dev/null; done
	for c in $made_ctrs; do docker rm -f "$c" >/dev/null 2>&1; done
	for v in $made_vols; do docker volume rm -f "$v" >/dev/null 2>&1; done
	for n in $made_nets; do docker network rm "$n" >/dev/null 2>&1; done
	for d in $made_dirs; do rm -rf "$d"; done
	made_ctrs='' made_vols='' made_nets='' made_pids='' made_dirs=''
}
trap cleanup EXIT
trap 'cleanup; trap - EXIT; exit 130' INT TERM

# result NAME STATUS: one line per step, as `pipec run` reports it
result() { printf '[pipec] step %s: %s\n' "$1" "$2"; }

# wait_fg: waits for the job just started in the background (so that a
# signal is handled at once) and returns its status
wait_fg() {
	pid=$!
	made_pids="$made_pids $pid"
	wait "$pid"
	rc=$?
	made_pids=${made_pids% "$pid"}
	return "$rc"
}
run=pipec-sh-$$
ws=${PIPEC_WORKSPACE:-$(pwd)}

# artifact_out CONTAINER NAME PATH: keeps PATH of CONTAINER as artifact NAME
artifact_out() {
	docker cp "$1:$3" "$art/$2" >/dev/null || echo "pipec: '$3' is not there to export" >&2
}

# artifact_in CONTAINER NAME PATH: puts artifact NAME at PATH of CONTAINER
artifact_in() {
	if [ -d "$art/$2" ]; then
		docker cp "$art/$2/." "$1:$3" >/dev/null
	else
		docker cp "$art/$2" "$1:$3" >/dev/null
	fi
}

# step 'build'
step_0_0() {
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'mkdir -p /out'
mkdir -p /out
printf '+ %s\n' 'echo built > /out/app.txt'
echo built > /out/app.txt
printf '+ %s\n' 'echo '\''ok 1 - unit tests'\'' > /tmp/unit.tap'
echo 'ok 1 - unit tests' > /tmp/unit.tap
PIPEC_SCRIPT
)
	docker create "--name=$run-0-0" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=build" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=artifacts" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=build" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "busybox" -c "$script_0_0" >/dev/null || return 1
	docker start --attach "$run-0-0"
	rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 78 ]; then
		artifact_out "$run-0-0" "app" "/out"
		artifact_out "$run-0-0" "report" "/tmp/unit.tap"
	fi
	docker rm -f "$run-0-0" >/dev/null 2>&1
	return "$rc"
}

# step 'check'
step_0_1() {
	script_0_1=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'cat /out/app.txt'
cat /out/app.txt
printf '+ %s\n' 'grep '\''^ok'\'' reports/unit.tap'
grep '^ok' reports/unit.tap
PIPEC_SCRIPT
)
	docker create "--name=$run-0-1" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=check" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=artifacts" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=check" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "busybox" -c "$script_0_1" >/dev/null || return 1
	artifact_in "$run-0-1" "app" "/out" || return 1
	mkdir -p "$ws/reports"
	artifact_in "$run-0-1" "report" "/drone/src/reports/unit.tap" || return 1
	docker start --attach "$run-0-1"
	rc=$?
	docker rm -f "$run-0-1" >/dev/null 2>&1
	return "$rc"
}

# pipeline 'artifacts'
pipeline_0() {
	failed=0 early=0
	art=$(mktemp -d) || return 1
	made_dirs="$made_dirs $art"
	docker network create --label=pipec.run="$run" "$run-0" >/dev/null || return 1
	made_nets="$made_nets $run-0"
	anc=0
	f_0=$anc
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "build" skipped
	else
		made_ctrs="$made_ctrs $run-0-0"
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "build" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "build" success
		else
			result "build" failure
			f_0=1 failed=1
		fi
	fi
	anc=0; [ "$f_0" -eq 0 ] || anc=1
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "check" skipped
	else
		made_ctrs="$made_ctrs $run-0-1"
		step_0_1 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "check" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "check" success
		else
			result "check" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "artifacts"
	pipeline_0 || status=1
fi
exit "$status"
