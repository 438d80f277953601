# tests/docker/engine.sh - sourced by the Docker tests: makes sure an engine
# answers, starting a private one when none does, and stops what it started.
#
#   . tests/docker/engine.sh
#   engine_up || { echo "ok - docker tests skipped: no engine # SKIP"; exit 0; }
#   ...
#   engine_down            (also run from the EXIT trap)
#
# A private engine keeps everything (data, exec root, socket, pid file,
# log) under one temp dir, as DEVELOPERS.md describes, so it never touches
# a system engine and leaves nothing behind.  PIPEC_DOCKER_KEEP=1 keeps a
# started engine running after the test for the next one run with
# PIPEC_DOCKER_KEEP=1 to reuse (engine_down then only forgets it; stop it
# with `kill $(cat <dir>/dockerd.pid)`); PIPEC_DOCKER_NO_START=1 forbids
# starting one.  ENGINE_ARGS, set before engine_up, adds dockerd options
# (another listener, e.g. TLS on tcp://); an engine that already answers
# lacks them, so a private one is then always started and never kept.
# The Docker tests assume no other test run shares the
# engine: their leak checks look at every pipec-labelled resource.

ENGINE_DIR=
ENGINE_PID=
ENGINE_PRIVATE=     # 1 when the engine was started for the tests

# Prints the DOCKER_HOST of an engine that answers, or fails.
engine_find() {
	kept=
	[ "${PIPEC_DOCKER_KEEP:-}" = 1 ] && kept=$(cat "${TMPDIR:-/tmp}/pipec-dockerd.host" 2>/dev/null)
	for h in "$DOCKER_HOST" unix:///var/run/docker.sock $kept; do
		[ -n "$h" ] || continue
		if DOCKER_HOST=$h docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; then
			echo "$h"; return 0
		fi
	done
	return 1
}

# Removes the dirs of private engines whose dockerd is gone (a test run
# killed before its EXIT trap); live ones are left alone.
engine_sweep() {
	for d in "${TMPDIR:-/tmp}"/pipec-dockerd.*; do
		[ -d "$d" ] || continue
		p=$(cat "$d/dockerd.pid" 2>/dev/null)
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && continue
		[ -z "$p" ] && [ -n "$(find "$d" -maxdepth 0 -mmin -2)" ] && continue  # still starting
		awk -v d="$d" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$d"
	done
}

# Starts dockerd under a temp dir (engine_launch).
engine_start() {
	[ "$(id -u)" -eq 0 ] || return 1
	command -v dockerd >/dev/null 2>&1 || return 1
	engine_sweep
	ENGINE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pipec-dockerd.XXXXXX")
	engine_launch
}

# Starts dockerd on ENGINE_DIR (again, after a test killed it) and waits
# up to 30 s for it to answer.
engine_launch() {
	sock=$ENGINE_DIR/docker.sock
	dockerd --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
		-H "unix://$sock" --pidfile "$ENGINE_DIR/dockerd.pid" \
		--storage-driver overlay2 --iptables=false --ip6tables=false \
		--bridge=none ${ENGINE_ARGS:-} >>"$ENGINE_DIR/dockerd.log" 2>&1 &
	ENGINE_PID=$!
	i=0
	while [ $i -lt 300 ]; do
		if DOCKER_HOST=unix://$sock docker version >/dev/null 2>&1; then
			export DOCKER_HOST=unix://$sock
			ENGINE_PRIVATE=1
			return 0
		fi
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	echo "# dockerd did not start:" >&2
	tail -5 "$ENGINE_DIR/dockerd.log" | sed 's/^/#   /' >&2
	engine_down
	return 1
}

# Kills the private engine as a crash would: dockerd and the containerd it
# started, each with SIGKILL, waiting until both are gone so that
# engine_launch can start them again on the same directories.  (A
# containerd outliving its dockerd keeps its database locked and makes the
# next dockerd time out waiting for its own.)
engine_crash() {
	[ -n "$ENGINE_PID" ] || return 1
	cpid=$(cat "$ENGINE_DIR/exec/containerd/containerd.pid" 2>/dev/null)
	kill -9 "$ENGINE_PID" 2>/dev/null
	wait "$ENGINE_PID" 2>/dev/null
	ENGINE_PID=
	[ -n "$cpid" ] || return 0
	kill -9 "$cpid" 2>/dev/null
	i=0
	while kill -0 "$cpid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	rm -f "$ENGINE_DIR/exec/containerd/containerd.pid"
}

# Exports DOCKER_HOST for an answering engine; 0 on success.
engine_up() {
	if [ -n "${ENGINE_ARGS:-}" ]; then
		[ "${PIPEC_DOCKER_NO_START:-}" = 1 ] && return 1
		engine_start
		return
	fi
	if h=$(engine_find); then
		export DOCKER_HOST=$h
		return 0
	fi
	[ "${PIPEC_DOCKER_NO_START:-}" = 1 ] && return 1
	engine_start || return 1
	if [ "${PIPEC_DOCKER_KEEP:-}" = 1 ]; then
		echo "$DOCKER_HOST" >"${TMPDIR:-/tmp}/pipec-dockerd.host"
		ENGINE_PID= ENGINE_DIR=
	fi
}

# Stops the engine engine_up started (if any) and removes its files.
engine_down() {
	if [ -n "$ENGINE_PID" ]; then
		kill "$ENGINE_PID" 2>/dev/null
		i=0
		while kill -0 "$ENGINE_PID" 2>/dev/null && [ $i -lt 150 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$ENGINE_PID" 2>/dev/null
		wait "$ENGINE_PID" 2>/dev/null
		ENGINE_PID=
	fi
	if [ -n "$ENGINE_DIR" ]; then
		# containerd's shims may hold mounts below the exec root a moment longer
		for m in $(awk -v d="$ENGINE_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
			umount -l "$m" 2>/dev/null
		done
		rm -rf "$ENGINE_DIR"
		ENGINE_DIR=
	fi
}
