# tests/kube/lib.sh - what the Kubernetes e2e scripts share, sourced after
# tests/lib.sh: the private Docker engine and images (tests/docker/lib.sh),
# and a fake Kubernetes API server (tests/kube/fake-apiserver.js) in front
# of it, with a kubeconfig pointing at it.  There is no real cluster here:
# the fake server checks every object with kubernetes-models and runs the
# Pods' containers on the engine.
#
#   kube_setup                 engine, images, npm packages, one fake server
#   fake_start NAME [ARGS...]  another fake server; its URL in $FAKE_URL
#   kube_objects               what the fake server holds, one per line
#   kube_leak_check NAME [CMD...]  a case: nothing is left on the server or
#                              engine, once CMD shows pipec ran (after_run)

. tests/docker/lib.sh

FAKE_PIDS=
trap 'fake_stop_all; engine_down; rm -rf "$TMP"' EXIT

fake_stop_all() {
	for p in $FAKE_PIDS; do
		kill "$p" 2>/dev/null
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	done
	FAKE_PIDS=
}

# fake_start NAME [ARGS...]: starts a fake API server with state in
# $TMP/NAME; sets FAKE_URL (http://127.0.0.1:PORT, https:// with --tls).
fake_start() {
	name=$1; shift
	mkdir -p "$TMP/$name"
	rm -f "$TMP/$name/port"
	NODE_PATH=$PWD/build/npm/node_modules node tests/kube/fake-apiserver.js \
		--docker "${DOCKER_HOST#unix://}" --state "$TMP/$name" --port-file "$TMP/$name/port" "$@" \
		>"$TMP/$name/log" 2>&1 &
	FAKE_PIDS="$FAKE_PIDS $!"
	i=0
	while [ ! -s "$TMP/$name/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$TMP/$name/port" ] || { sed 's/^/#   /' "$TMP/$name/log"; return 1; }
	scheme=http
	case " $* " in *" --tls "*) scheme=https ;; esac
	FAKE_URL=$scheme://127.0.0.1:$(cat "$TMP/$name/port")
	FAKE_STATE=$TMP/$name
}

# kubeconfig FILE SERVER USER-YAML: a one-context kubeconfig.
kubeconfig() {
	cat >"$1" <<EOC
apiVersion: v1
kind: Config
current-context: fake
clusters:
- name: fake
  cluster:
    server: $2
contexts:
- name: fake
  context:
    cluster: fake
    user: tester
    namespace: ci
users:
- name: tester
  user:
$3
EOC
}

kube_setup() {
	docker_setup
	if ! sh tests/npm-deps.sh; then
		fail "kube: npm packages (kubernetes-models) install"
		exit 1
	fi
	if ! fake_start fake --token test-token; then
		fail "kube: the fake API server starts"
		exit 1
	fi
	KUBE_URL=$FAKE_URL
	kubeconfig "$TMP/kubeconfig" "$KUBE_URL" "    token: test-token"
	export KUBECONFIG=$TMP/kubeconfig
}

# kube_objects: every object the fake server at $KUBE_URL holds.
kube_objects() {
	curl -s -H 'Authorization: Bearer test-token' "$KUBE_URL/fake/objects" |
		python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)))'
}

# no_kube_leaks: nothing on the fake server, and no pod container on the
# engine, once what was deleted has had its grace period (30 s by default,
# as on a cluster, for what prune deletes).
no_kube_leaks() {
	i=0
	while [ -n "$(kube_objects; docker ps -aq --filter label=pipec-fake.pod)" ] && [ $i -lt 400 ]; do
		sleep 0.1; i=$((i + 1))
	done
	left=$(kube_objects; docker ps -aq --filter label=pipec-fake.pod)
	[ -z "$left" ] && return 0
	echo "# left behind:" $left
	return 1
}

kube_leak_check() {
	klc_name=$1; shift
	after_run "$klc_name: no object left on the fake API server" no_kube_leaks "$@"
}
