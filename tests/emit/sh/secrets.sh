#!/bin/sh
# Written by `pipec emit --format=sh` from secrets.yml: runs its pipelines
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

# secret VAR NAME: fails when the variable holding secret NAME is unset
secret() {
	eval "test -n \"\${$1+set}\"" && return 0
	echo "pipec: secret '$2' is not set: export $1" >&2
	return 1
}

# step 'use'
step_0_0() {
	secret PIPEC_SAMPLE_TOKEN "api_token" || return 1
	secret SECRET_DEPLOY_KEY "deploy_key" || return 1
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'test -n "$API_TOKEN"'
test -n "$API_TOKEN"
printf '+ %s\n' 'echo the token has ${#API_TOKEN} characters'
echo the token has ${#API_TOKEN} characters
PIPEC_SCRIPT
)
	cd "$ws" || exit 1
	API_TOKEN="$PIPEC_SAMPLE_TOKEN" DEPLOY_KEY="$SECRET_DEPLOY_KEY" CI="true" CI_WORKSPACE="$ws" CI_WORKSPACE_BASE="/drone" CI_WORKSPACE_PATH="src" DRONE="true" DRONE_BRANCH="main" DRONE_BUILD_EVENT="push" DRONE_COMMIT="0123456789abcdef0123456789abcdef01234567" DRONE_COMMIT_BRANCH="main" DRONE_COMMIT_REF="refs/heads/main" DRONE_COMMIT_SHA="0123456789abcdef0123456789abcdef01234567" DRONE_REPO="octo/hello" DRONE_STAGE_KIND="pipeline" DRONE_STAGE_NAME="secrets" DRONE_STAGE_TYPE="exec" DRONE_STEP_NAME="use" DRONE_WORKSPACE="$ws" DRONE_WORKSPACE_BASE="/drone" DRONE_WORKSPACE_PATH="src" PIPEC_WORKSPACE="$ws" exec "/bin/sh" -c "$script_0_0"
}

# pipeline 'secrets'
pipeline_0() {
	failed=0 early=0
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "use" skipped
	else
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "use" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "use" success
		else
			result "use" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "secrets"
	pipeline_0 || status=1
fi
exit "$status"
