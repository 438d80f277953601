#!/bin/sh
# Written by `pipec emit --format=sh` from multi-pipeline.yml: runs its pipelines
# with the docker CLI (exec pipelines as host processes), in the current directory as the workspace
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
ws=${PIPEC_WORKSPACE:-$(pwd)}

# step 'unit'
step_0_0() {
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo unit tests'
echo unit tests
PIPEC_SCRIPT
)
	cd "$ws" || exit 1
	CI="true" CI_WORKSPACE="$ws" CI_WORKSPACE_BASE="/drone" CI_WORKSPACE_PATH="src" DRONE="true" DRONE_BRANCH="main" DRONE_BUILD_EVENT="push" DRONE_COMMIT="0123456789abcdef0123456789abcdef01234567" DRONE_COMMIT_BRANCH="main" DRONE_COMMIT_REF="refs/heads/main" DRONE_COMMIT_SHA="0123456789abcdef0123456789abcdef01234567" DRONE_REPO="octo/hello" DRONE_STAGE_KIND="pipeline" DRONE_STAGE_NAME="test" DRONE_STAGE_TYPE="exec" DRONE_STEP_NAME="unit" DRONE_WORKSPACE="$ws" DRONE_WORKSPACE_BASE="/drone" DRONE_WORKSPACE_PATH="src" PIPEC_WORKSPACE="$ws" exec "/bin/sh" -c "$script_0_0"
}

# pipeline 'test'
pipeline_0() {
	failed=0 early=0
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "unit" skipped
	else
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "unit" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "unit" success
		else
			result "unit" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

# step 'ship'
step_1_0() {
	script_1_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo deploying'
echo deploying
PIPEC_SCRIPT
)
	cd "$ws" || exit 1
	CI="true" CI_WORKSPACE="$ws" CI_WORKSPACE_BASE="/drone" CI_WORKSPACE_PATH="src" DRONE="true" DRONE_BRANCH="main" DRONE_BUILD_EVENT="push" DRONE_COMMIT="0123456789abcdef0123456789abcdef01234567" DRONE_COMMIT_BRANCH="main" DRONE_COMMIT_REF="refs/heads/main" DRONE_COMMIT_SHA="0123456789abcdef0123456789abcdef01234567" DRONE_REPO="octo/hello" DRONE_STAGE_KIND="pipeline" DRONE_STAGE_NAME="deploy" DRONE_STAGE_TYPE="exec" DRONE_STEP_NAME="ship" DRONE_WORKSPACE="$ws" DRONE_WORKSPACE_BASE="/drone" DRONE_WORKSPACE_PATH="src" PIPEC_WORKSPACE="$ws" exec "/bin/sh" -c "$script_1_0"
}

# pipeline 'deploy'
pipeline_1() {
	failed=0 early=0
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "ship" skipped
	else
		step_1_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "ship" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "ship" success
		else
			result "ship" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

# step 'build'
step_2_0() {
	script_2_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo building docs'
echo building docs
PIPEC_SCRIPT
)
	cd "$ws" || exit 1
	CI="true" CI_WORKSPACE="$ws" CI_WORKSPACE_BASE="/drone" CI_WORKSPACE_PATH="src" DRONE="true" DRONE_BRANCH="main" DRONE_BUILD_EVENT="push" DRONE_COMMIT="0123456789abcdef0123456789abcdef01234567" DRONE_COMMIT_BRANCH="main" DRONE_COMMIT_REF="refs/heads/main" DRONE_COMMIT_SHA="0123456789abcdef0123456789abcdef01234567" DRONE_REPO="octo/hello" DRONE_STAGE_KIND="pipeline" DRONE_STAGE_NAME="docs" DRONE_STAGE_TYPE="exec" DRONE_STEP_NAME="build" DRONE_WORKSPACE="$ws" DRONE_WORKSPACE_BASE="/drone" DRONE_WORKSPACE_PATH="src" PIPEC_WORKSPACE="$ws" exec "/bin/sh" -c "$script_2_0"
}

# pipeline 'docs'
pipeline_2() {
	failed=0 early=0
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "build" skipped
	else
		step_2_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "build" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "build" success
		else
			result "build" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
pf_0=$anc
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "test"
	pipeline_0 || { pf_0=1; status=1; }
fi
anc=0; [ "$pf_0" -eq 0 ] || anc=1
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "deploy"
	pipeline_1 || status=1
fi
anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "docs"
	pipeline_2 || status=1
fi
exit "$status"
