#!/bin/sh
# Written by `pipec emit --format=sh` from plugin.yml: runs its pipelines
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

# secret VAR NAME: fails when the variable holding secret NAME is unset
secret() {
	eval "test -n \"\${$1+set}\"" && return 0
	echo "pipec: secret '$2' is not set: export $1" >&2
	return 1
}

# step 'publish'
step_0_0() {
	secret SECRET_REGISTRY_PASSWORD "registry_password" || return 1
	script_0_0=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'echo "publishing $PLUGIN_REPO with tags $PLUGIN_TAGS, dry run: $PLUGIN_DRY_RUN"'
echo "publishing $PLUGIN_REPO with tags $PLUGIN_TAGS, dry run: $PLUGIN_DRY_RUN"
PIPEC_SCRIPT
)
	PLUGIN_PASSWORD="$SECRET_REGISTRY_PASSWORD" docker run --rm "--name=$run-0-0" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=publish" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=plugin" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=publish" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--env=PLUGIN_BUILD_ARGS={\"VERSION\":1.0}" "--env=PLUGIN_DRY_RUN=true" "--env=PLUGIN_REPO=example/app" "--env=PLUGIN_TAGS=latest,1.0" "--env=PLUGIN_PASSWORD" "--entrypoint=/bin/sh" "busybox" -c "$script_0_0"
}

# pipeline 'plugin'
pipeline_0() {
	failed=0 early=0
	docker network create --label=pipec.run="$run" "$run-0" >/dev/null || return 1
	made_nets="$made_nets $run-0"
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "publish" skipped
	else
		made_ctrs="$made_ctrs $run-0-0"
		step_0_0 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "publish" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "publish" success
		else
			result "publish" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "plugin"
	pipeline_0 || status=1
fi
exit "$status"
