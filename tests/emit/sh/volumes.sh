#!/bin/sh
# Written by `pipec emit --format=sh` from volumes.yml: runs its pipelines
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

# step 'write'
step_0_0() {
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo kept > /cache/data'
echo kept > /cache/data
printf '+ %s\n' 'echo fast > /scratch/data'
echo fast > /scratch/data
printf '+ %s\n' 'cat /scratch/data'
cat /scratch/data
PIPEC_SCRIPT
)
	docker run --rm "--name=$run-0-0" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=write" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--volume=$run-0-cache:/cache" "--tmpfs=/scratch:size=67108864" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=volumes" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=write" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "busybox" -c "$script_0_0"
}

# step 'read'
step_0_1() {
	script_0_1=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'cat /cache/data'
cat /cache/data
printf '+ %s\n' 'test ! -e /scratch/data'
test ! -e /scratch/data
printf '+ %s\n' 'ls /host-tmp'
ls /host-tmp
PIPEC_SCRIPT
)
	docker run --rm "--name=$run-0-1" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=read" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--volume=$run-0-cache:/cache" "--tmpfs=/scratch:size=67108864" "--volume=/tmp:/host-tmp" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=volumes" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=read" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "busybox" -c "$script_0_1"
}

# pipeline 'volumes'
pipeline_0() {
	failed=0 early=0
	docker network create --label=pipec.run="$run" "$run-0" >/dev/null || return 1
	made_nets="$made_nets $run-0"
	docker volume create --label=pipec.run="$run" "$run-0-cache" >/dev/null || return 1
	made_vols="$made_vols $run-0-cache"
	anc=0
	f_0=$anc
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "write" skipped
	else
		made_ctrs="$made_ctrs $run-0-0"
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "write" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "write" success
		else
			result "write" failure
			f_0=1 failed=1
		fi
	fi
	anc=0; [ "$f_0" -eq 0 ] || anc=1
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "read" skipped
	else
		made_ctrs="$made_ctrs $run-0-1"
		step_0_1 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "read" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "read" success
		else
			result "read" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "volumes"
	pipeline_0 || status=1
fi
exit "$status"
