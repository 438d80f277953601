#!/bin/sh
# pipec run on Docker when the registry or the engine is slow to answer:
# Ctrl-C during an image pull that crawls, during a pull from a registry
# that stalls mid-layer, during a container create the engine is slow to
# answer, and while the engine has not got to a step's start or to
# copying its files in; and a stalled pull, start or copy ended by the
# step's timeout.  A proxy in front of the registry (Debian's docker-registry)
# or of the engine's socket (tests/docker/faultproxy.py) makes the fault.
# Each case checks the exit status, the message, a time bound loose
# enough for a busy machine, that no step ran and that nothing is left.
. tests/lib.sh
. tests/docker/lib.sh
. tests/docker/registry.sh
PROXY_PID=
trap 'proxy_down; registry_down; engine_down; rm -rf "$TMP"' EXIT
docker_setup
# The pulled image has a layer of its own, 2 MiB of noise that does not
# compress, so a pull has a layer to fetch: busybox's layers are on the
# engine already.
noise_image() {
	mkdir -p "$TMP/noise"
	head -c 2097152 /dev/urandom >"$TMP/noise/noise"
	tar -C "$TMP/noise" -cf - . | docker import - "$REGISTRY/private/noise:1" >/dev/null &&
	DOCKER_CONFIG=$REG_DIR/cli docker push "$REGISTRY/private/noise:1" >/dev/null 2>&1 &&
	docker rmi "$REGISTRY/private/noise:1" >/dev/null
}
if ! registry_up || ! noise_image; then
	fail "registry: starts and holds the private images"
	exit 1
fi

now() { date +%s; }

proxy_down() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
	PROXY_PID=
	rm -f "$TMP/mark" "$TMP/port" "$TMP/engine.sock"
}

# registry_proxy ARGS...: a proxy to the registry (faultproxy.py tcp
# ARGS); sets IMAGE, the private image through it, and a config.json
# with its credentials in $TMP/auth.
registry_proxy() {
	python3 tests/docker/faultproxy.py tcp "$TMP/port" "$REGISTRY" "$TMP/mark" "$@" &
	PROXY_PID=$!
	i=0
	while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	proxied=127.0.0.1:$(cat "$TMP/port")
	IMAGE=$proxied/private/noise:1
	mkdir -p "$TMP/auth"
	printf '{"auths": {"http://%s": {"auth": "%s"}}}\n' "$proxied" \
		"$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 | tr -d '\n')" >"$TMP/auth/config.json"
	cat >"$TMP/pull.yml" <<YML
kind: pipeline
type: docker
name: pull
clone:
  disable: true
steps:
- name: pulled
  image: $IMAGE
  pull: always
  commands:
  - echo the-step-ran
YML
}

# engine_proxy ARGS...: a proxy to the engine at $TMP/engine.sock
# (faultproxy.py unix ARGS).
engine_proxy() {
	python3 tests/docker/faultproxy.py unix "$TMP/engine.sock" "${DOCKER_HOST#unix://}" "$TMP/mark" "$@" &
	PROXY_PID=$!
	i=0
	while [ ! -S "$TMP/engine.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# marked PID: waits up to 60 s, while PID runs, for the proxy's mark (the
# fault has begun).
marked() {
	i=0
	while [ ! -e "$TMP/mark" ] && [ $i -lt 600 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	[ -e "$TMP/mark" ]
}

# interrupt FILE WAIT VAR=VALUE: runs FILE with VAR set, sends SIGINT
# WAIT seconds after the proxy's mark; rc in $rc, whether pipec was still
# running before the SIGINT in $alive, seconds from SIGINT to exit in
# $took.
interrupt() {
	env "$3" "$PIPEC" run --backend=docker "$1" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	marked $pid || echo "# the fault never began"
	sleep "$2"
	interrupt_pid $pid
}

# outcome NAME: what every case asserts once pipec was interrupted.
outcome() {
	check "$1: pipec was still waiting when interrupted" [ "$alive" = yes ]
	check "$1: SIGINT exits 130" exited 130 $rc
	check "$1: says it was interrupted" has "$TMP/err" "interrupted"
	check "$1: the step never ran" lacks "$TMP/out" the-step-ran
	check "$1: over within 20 s of SIGINT (took ${took}s)" [ "$alive" = yes -a "$took" -le 20 ]
	check "$1: pipec has no process left" sh -c "[ $alive = yes ] && ! kill -0 $pid 2>/dev/null"
	leak_check "$1"
}

# A pull that crawls: the layer comes at 4 KiB a second after 64 KiB.
registry_proxy --rate 4096
interrupt "$TMP/pull.yml" 2 "DOCKER_CONFIG=$TMP/auth"
check "slow pull: the pull was shown under way" has "$TMP/err" "$IMAGE"
outcome "slow pull"
proxy_down

# A registry that stops sending mid-layer and keeps the connection open.
registry_proxy
interrupt "$TMP/pull.yml" 3 "DOCKER_CONFIG=$TMP/auth"
outcome "stalled registry"
check "stalled registry: the image was not pulled" \
	sh -c "[ $alive = yes ] && ! docker image inspect '$IMAGE' >/dev/null 2>&1"
proxy_down

# The same stall without Ctrl-C: the step's timeout ends the pull.
registry_proxy
t0=$(now)
DOCKER_CONFIG=$TMP/auth timeout -s KILL 120 "$PIPEC" run --backend=docker --step-timeout 5s "$TMP/pull.yml" \
	>"$TMP/out" 2>"$TMP/err"
rc=$? took=$(($(now) - t0))
check "stalled registry, step timeout: exits 1" exited 1 $rc
check "stalled registry, step timeout: the pull gave up" has "$TMP/err" "the step's time ran out"
check "stalled registry, step timeout: reported as the step's timeout" \
	has "$TMP/err" "step 'pulled' timed out after 5 s [step-timeout]"
check "stalled registry, step timeout: the step never ran" lacks "$TMP/out" the-step-ran
check "stalled registry, step timeout: over within 60 s (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 60 ]
leak_check "stalled registry, step timeout"
proxy_down

# An engine that creates the step's container but answers 60 s late.
cat >"$TMP/create.yml" <<'YML'
kind: pipeline
type: docker
name: create
clone:
  disable: true
steps:
- name: made
  image: busybox:1.35
  commands:
  - echo the-step-ran
YML
engine_proxy --hold 60
interrupt "$TMP/create.yml" 1 "DOCKER_HOST=unix://$TMP/engine.sock"
outcome "slow create"
proxy_down

# An engine that has not got to a step's start, or to copying its files
# in, between the create and the start: the step's timeout ends the wait
# (the engine is not blamed) and so does Ctrl-C; the container made is
# removed.
cat >"$TMP/files.json" <<'JSON'
{"version": 1, "pipelines": [{"name": "files", "type": "docker",
 "files": [{"name": "cfg", "data": "aGVsbG8K"}],
 "steps": [{"name": "made", "image": "busybox:1.35",
  "files": [{"name": "cfg", "path": "/etc/cfg", "mode": 384}],
  "script": "cat /etc/cfg; echo the-step-ran\n"}]}]}
JSON
for on in /start /archive; do
	what="stalled ${on#/}"
	engine_proxy --hold 120 --on "$on" --request
	t0=$(now)
	DOCKER_HOST=unix://$TMP/engine.sock timeout -s KILL 120 "$PIPEC" run --backend=docker \
		--step-timeout 5s "$TMP/files.json" >"$TMP/out" 2>"$TMP/err"
	rc=$? took=$(($(now) - t0))
	check "$what, step timeout: exits 1" exited 1 $rc
	check "$what, step timeout: the engine was asked" [ -e "$TMP/mark" ]
	check "$what, step timeout: reported as the step's timeout" \
		has "$TMP/err" "step 'made' timed out after 5 s [step-timeout]"
	check "$what, step timeout: the wait gave up; the engine is not blamed" sh -c "
		grep -q \"the step's time ran out\" '$TMP/err' && ! grep -q docker-unresponsive '$TMP/err'"
	check "$what, step timeout: the step never ran" lacks "$TMP/out" the-step-ran
	check "$what, step timeout: over within 25 s (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 25 ]
	leak_check "$what, step timeout"
	proxy_down
	engine_proxy --hold 120 --on "$on" --request
	interrupt "$TMP/files.json" 1 "DOCKER_HOST=unix://$TMP/engine.sock"
	outcome "$what"
	proxy_down
done
