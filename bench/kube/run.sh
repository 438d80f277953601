#!/bin/sh
# pipec run on the Kubernetes backend against the fake API server
# (tests/kube: no cluster can be installed here; it runs each Pod's
# containers on the same engine), each figure a ratio to a baseline
# measured here, in the same run:
#   steps     20 sequential no-op steps through the fake server, against
#             the same 20 steps with --backend=docker on the engine behind
#             it: what the API round trips and the fake's own work cost
#   requests  the API requests per step (POST, LIST, WATCH, LOG, DELETE
#             as the fake server counted them): the goal is a create, a
#             log stream and a delete per step, with one list and one watch
#             per pipeline and no polling loop
# An engine is found or started as the tests do (tests/docker/engine.sh).
# PIPEC may name the binary (default ./pipec).
set -e
cd "$(dirname "$0")/../.."
PIPEC=${PIPEC:-./pipec}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pipec-bench.XXXXXX")
ok() { :; }
fail() { echo "kube: $*"; }
set +e
. tests/kube/lib.sh
set -e
kube_setup >/dev/null
now() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }

f=$TMP/noop.yml
printf 'kind: pipeline\ntype: docker\nname: noop\nclone:\n  disable: true\nsteps:\n' >"$f"
for i in $(seq 1 20); do
	printf -- '- name: s%d\n  image: busybox:1.35\n  commands: [":"]\n' "$i" >>"$f"
done

count() {
	curl -s -H 'Authorization: Bearer test-token' "$KUBE_URL/fake/requests"
}
"$PIPEC" run --backend=docker "$f" >/dev/null 2>&1    # warm the engine's caches
t0=$(now); "$PIPEC" run --backend=docker "$f" >/dev/null 2>&1; t1=$(now)
before=$(count)
t2=$(now); "$PIPEC" run --backend=kube "$f" >/dev/null 2>&1; t3=$(now)
after=$(count)
docker_ns=$((t1 - t0)) kube_ns=$((t3 - t2))
echo "kube steps: 20 no-op steps $(ms $kube_ns) ms through the fake API server," \
     "$(ms $docker_ns) ms on docker: $(ratio $kube_ns $docker_ns)x"
python3 - "$before" "$after" <<'EOP'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = {k: b.get(k, 0) - a.get(k, 0) for k in b}
total = sum(d.values())
print("kube requests: %d for 20 steps, %.2f per step (%s)" % (total, total / 20,
      ", ".join("%s %d" % (k, v) for k, v in sorted(d.items()) if v)))
EOP
