#!/bin/sh
# Written by `pipec emit --format=sh` from hello-world.yml: runs its pipelines
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

# step 'clone'
step_0_0() {
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'test -n "$DRONE_REMOTE_URL" || { echo '\''DRONE_REMOTE_URL is not set: run pipec run --clone in a git checkout, give a remote with --env DRONE_REMOTE_URL=URL, or set clone.disable'\'' >&2; exit 1; }'
test -n "$DRONE_REMOTE_URL" || { echo 'DRONE_REMOTE_URL is not set: run pipec run --clone in a git checkout, give a remote with --env DRONE_REMOTE_URL=URL, or set clone.disable' >&2; exit 1; }
printf '+ %s\n' 'git init -q'
git init -q
printf '+ %s\n' 'git remote add origin "$DRONE_REMOTE_URL"'
git remote add origin "$DRONE_REMOTE_URL"
printf '+ %s\n' 'git fetch -q --no-tags origin "${DRONE_COMMIT_REF:-HEAD}"'
git fetch -q --no-tags origin "${DRONE_COMMIT_REF:-HEAD}"
printf '+ %s\n' 'git checkout -q -f "${DRONE_COMMIT_SHA:-FETCH_HEAD}" 2>/dev/null || { git fetch -q --no-tags origin "$DRONE_COMMIT_SHA" && git checkout -q -f "$DRONE_COMMIT_SHA"; }'
git checkout -q -f "${DRONE_COMMIT_SHA:-FETCH_HEAD}" 2>/dev/null || { git fetch -q --no-tags origin "$DRONE_COMMIT_SHA" && git checkout -q -f "$DRONE_COMMIT_SHA"; }
PIPEC_SCRIPT
)
	docker run --rm "--name=$run-0-0" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=clone" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=hello" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=clone" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "alpine/git:v2.30.2" -c "$script_0_0"
}

# step 'greet'
step_0_1() {
	script_0_1=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo hello world'
echo hello world
printf '+ %s\n' 'uname -a'
uname -a
PIPEC_SCRIPT
)
	docker run --rm "--name=$run-0-1" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=greet" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=hello" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=greet" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--entrypoint=/bin/sh" "busybox" -c "$script_0_1"
}

# pipeline 'hello'
pipeline_0() {
	failed=0 early=0
	docker network create --label=pipec.run="$run" "$run-0" >/dev/null || return 1
	made_nets="$made_nets $run-0"
	anc=0
	f_0=$anc
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "clone" skipped
	else
		made_ctrs="$made_ctrs $run-0-0"
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "clone" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "clone" success
		else
			result "clone" failure
			f_0=1 failed=1
		fi
	fi
	anc=0; [ "$f_0" -eq 0 ] || anc=1
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "greet" skipped
	else
		made_ctrs="$made_ctrs $run-0-1"
		step_0_1 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "greet" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "greet" success
		else
			result "greet" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "hello"
	pipeline_0 || status=1
fi
exit "$status"
