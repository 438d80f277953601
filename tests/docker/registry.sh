# tests/docker/registry.sh - sourced by the Docker tests: a private
# registry (Debian's docker-registry) on 127.0.0.1 with htpasswd auth,
# holding one image that only the right credentials can pull.
#
#   registry_up      sets REGISTRY (host:port), REG_USER, REG_PASS and
#                    REG_IMAGE (pushed, then removed from the engine)
#   registry_down    stops it and removes its files (also from EXIT)
#
# The engine treats 127.0.0.0/8 as an insecure registry by default, so
# plain HTTP works without configuring the daemon.

REG_DIR=
REG_PID=

registry_up() {
	REG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pipec-registry.XXXXXX")
	REG_USER=pipec REG_PASS=registry-secret-$$
	htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd" 2>/dev/null || return 1
	# a port free now, asked of the kernel: two runs started in the same
	# second would draw the same "random" one
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	REGISTRY=127.0.0.1:$port
	cat >"$REG_DIR/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
http:
  addr: $REGISTRY
auth:
  htpasswd:
    realm: pipec-test
    path: $REG_DIR/htpasswd
YML
	docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
	REG_PID=$!
	i=0
	until curl -s -o /dev/null "http://$REGISTRY/v2/"; do
		i=$((i + 1))
		[ $i -lt 100 ] && kill -0 $REG_PID 2>/dev/null || { sed 's/^/# /' "$REG_DIR/log" >&2; return 1; }
		sleep 0.1
	done
	REG_IMAGE=$REGISTRY/private/hello:1
	mkdir -p "$REG_DIR/cli"
	DOCKER_CONFIG=$REG_DIR/cli docker login -u "$REG_USER" --password-stdin "$REGISTRY" \
		<<EOF_PASS >/dev/null 2>&1 || return 1
$REG_PASS
EOF_PASS
	docker tag busybox:1.35 "$REG_IMAGE" &&
	DOCKER_CONFIG=$REG_DIR/cli docker push "$REG_IMAGE" >/dev/null 2>&1 &&
	docker rmi "$REG_IMAGE" >/dev/null
}

registry_down() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	[ -n "$REG_DIR" ] && rm -rf "$REG_DIR"
	REG_PID= REG_DIR=
}
