#!/bin/sh
# Written by `pipec emit --format=sh` from postgres-service.yml: runs its pipelines
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

# ready TRIES SECONDS CMD...: waits until CMD exits 0
ready() {
	tries=$1 pause=$2
	shift 2
	while [ "$tries" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		tries=$((tries - 1))
		sleep "$pause"
	done
	return 1
}

# step 'database'
step_0_0() {
	docker run --rm --detach "--name=$run-0-0" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=database" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=postgres" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=database" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--env=POSTGRES_DB=app" "--env=POSTGRES_HOST_AUTH_METHOD=trust" "--env=POSTGRES_PASSWORD=ci" "--env=POSTGRES_USER=ci" "postgres"
}

# step 'query'
step_0_1() {
	script_0_1=$(cat <<'PIPEC_SCRIPT'
set -e
printf '+ %s\n' 'psql -h database -U ci -d app -c "select 1 + 1 as two"'
psql -h database -U ci -d app -c "select 1 + 1 as two"
PIPEC_SCRIPT
)
	docker run --rm "--name=$run-0-1" "--label=pipec.run=$run" "--network=$run-0" "--network-alias=query" "--workdir=/drone/src" "--volume=$ws:/drone/src" "--env=CI=true" "--env=CI_WORKSPACE=/drone/src" "--env=CI_WORKSPACE_BASE=/drone" "--env=CI_WORKSPACE_PATH=src" "--env=DRONE=true" "--env=DRONE_BRANCH=main" "--env=DRONE_BUILD_EVENT=push" "--env=DRONE_COMMIT=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_COMMIT_BRANCH=main" "--env=DRONE_COMMIT_REF=refs/heads/main" "--env=DRONE_COMMIT_SHA=0123456789abcdef0123456789abcdef01234567" "--env=DRONE_REPO=octo/hello" "--env=DRONE_STAGE_KIND=pipeline" "--env=DRONE_STAGE_NAME=postgres" "--env=DRONE_STAGE_TYPE=docker" "--env=DRONE_STEP_NAME=query" "--env=DRONE_WORKSPACE=/drone/src" "--env=DRONE_WORKSPACE_BASE=/drone" "--env=DRONE_WORKSPACE_PATH=src" "--env=PGPASSWORD=ci" "--entrypoint=/bin/sh" "postgres" -c "$script_0_1"
}

# pipeline 'postgres'
pipeline_0() {
	failed=0 early=0
	docker network create --label=pipec.run="$run" "$run-0" >/dev/null || return 1
	made_nets="$made_nets $run-0"
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "database" skipped
	else
		made_ctrs="$made_ctrs $run-0-0"
		step_0_0 >/dev/null
		ready 30 1.000 docker exec "$run-0-0" "pg_isready" "-h" "127.0.0.1" "-U" "ci" "-d" "app" || echo "pipec: service 'database' is not ready" >&2
		result "database" success
	fi
	anc=0
	if [ "$early" -eq 1 ] || ! [ "$anc" -eq 0 ]; then
		result "query" skipped
	else
		made_ctrs="$made_ctrs $run-0-1"
		step_0_1 &
		wait_fg
		rc=$?
		if [ "$rc" -eq 0 ]; then
			result "query" success
		elif [ "$rc" -eq 78 ]; then
			early=1
			result "query" success
		else
			result "query" failure
			failed=1
		fi
	fi
	cleanup
	return "$failed"
}

anc=0
if [ "$anc" -eq 0 ]; then
	printf '[pipec] pipeline %s\n' "postgres"
	pipeline_0 || status=1
fi
exit "$status"
