#!/bin/sh
# What goes wrong on a cluster, against a fake Kubernetes API server
# (tests/kube: kubernetes-models checks every object, the Pods' containers
# run on the test engine): each cause a step fails of is reported at the
# step under a rule of its own (an image that cannot be pulled, a Pod no
# node can take, a container killed for memory), a watch the server
# expires with 410 Gone is re-listed and the run goes on, a pipeline
# that times out leaves nothing behind, a Pod create the server holds
# back ends at the step's timeout and at Ctrl-C, and so does a run whose
# server froze, the server named and pipec prune pointed at.
. tests/lib.sh
. tests/kube/lib.sh
kube_setup
H='Authorization: Bearer test-token'

runk() { "$PIPEC" run --backend=kube "$@" >"$TMP/out" 2>"$TMP/err"; }
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -8; return 1; }; }
# requests VERB: how many requests of VERB the fake server has answered.
requests() {
	curl -s -H "$H" "$KUBE_URL/fake/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}

step() {
	cat <<EOY
kind: pipeline
type: kubernetes
name: $1
clone:
  disable: true
steps:
- name: $1
  image: $2
EOY
}

step pull no-such-image:1 >"$TMP/pull.yml"
printf '  commands: [echo never]\n' >>"$TMP/pull.yml"
expect_exit 1 "image pull: the run fails" runk "$TMP/pull.yml"
check "image pull: image-pull-failed at the step with Kubernetes' reason" \
	has "$TMP/err" "pull.yml:7:3: error: step 'pull' could not run: ErrImagePull: "
check "image pull: under its own rule" has "$TMP/err" "[image-pull-failed]"
kube_leak_check "image pull"

step big busybox >"$TMP/big.yml"
printf '  resources:\n    limits:\n      memory: 100TiB\n  commands: [echo never]\n' >>"$TMP/big.yml"
expect_exit 1 "unschedulable: the run fails" runk "$TMP/big.yml"
check "unschedulable: the scheduler's message at the step" \
	has "$TMP/err" "big.yml:7:3: error: step 'big' could not run: Unschedulable: 0/1 nodes are available: 1 Insufficient memory"
check "unschedulable: under its own rule" has "$TMP/err" "[kube-unschedulable]"
kube_leak_check "unschedulable"

step hog busybox >"$TMP/oom.yml"
printf '  resources:\n    limits:\n      memory: 8MiB\n  commands: [dd if=/dev/zero of=/dev/null bs=64M count=1]\n' >>"$TMP/oom.yml"
expect_exit 1 "OOMKilled: the run fails" runk --report "$TMP/oom.report" "$TMP/oom.yml"
check "OOMKilled: the step ran out of memory, at its line" \
	has "$TMP/err" "oom.yml:7:3: error: step 'hog' ran out of memory [out-of-memory]"
check "OOMKilled: the report says so" grep -q '"oom_killed":[[:space:]]*true' "$TMP/oom.report"
kube_leak_check "OOMKilled"

# A watch expired under the run (as an etcd compaction does): every open
# watch ends with 410 Gone; the backend lists the Pods again and watches
# on from the list, and the steps that ran before and after still report.
cat >"$TMP/gone.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: gone
clone:
  disable: true
steps:
- {name: before, image: busybox, commands: [echo before, sleep 3]}
- {name: after, image: busybox, commands: [sleep 1, echo after]}
EOY
lists=$(requests LIST)
"$PIPEC" run --backend=kube "$TMP/gone.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while ! grep -q 'before | before' "$TMP/out" 2>/dev/null && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
check "410 Gone: the first step was running" grep -q 'before | before' "$TMP/out"
curl -s -X POST -H "$H" "$KUBE_URL/fake/expire" >/dev/null
wait $pid
rc=$?
check "410 Gone: the run still succeeds" exited 0 $rc
check "410 Gone: the step after it ran and was heard" grep -q 'after  | after' "$TMP/out"
check "410 Gone: the Pods were listed again" [ "$(requests LIST)" -ge $((lists + 2)) ]
kube_leak_check "410 Gone"

cat >"$TMP/slow.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: slow
clone:
  disable: true
services:
- name: idle
  image: busybox
  commands: [sleep 300]
steps:
- name: wait
  image: busybox
  commands: [echo started, sleep 300]
EOY
expect_exit 1 "timeout: the pipeline times out" runk --timeout 5s "$TMP/slow.yml"
check "timeout: said at the pipeline" has "$TMP/err" "[pipeline-timeout]"
check "timeout: the step had started" has "$TMP/out" "started"
kube_leak_check "timeout"

# An API server slow to make a step's Pod (stuck in an admission webhook,
# here the fake server holding each Pod create back 120 s): the step's
# timeout ends the wait, and so does Ctrl-C, within a bound; the Pod is
# never made and the run's objects go.
stall() { curl -s -X POST -H "$H" "$KUBE_URL/fake/stall?resource=pods&seconds=$1" >/dev/null; }
stalled() { curl -s -H "$H" "$KUBE_URL/fake/stalled" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stalled"])'; }
now() { date +%s; }
step held busybox >"$TMP/held.yml"
printf '  commands: [echo the-step-ran]\n' >>"$TMP/held.yml"
stall 120
before=$(stalled)
t0=$(now)
timeout -s KILL 120 "$PIPEC" run --backend=kube --step-timeout 5s "$TMP/held.yml" >"$TMP/out" 2>"$TMP/err"
rc=$? took=$(($(now) - t0))
check "stalled Pod create, step timeout: exits 1" exited 1 $rc
check "stalled Pod create, step timeout: the create was held" [ "$(stalled)" -gt "$before" ]
check "stalled Pod create, step timeout: reported as the step's timeout" \
	has "$TMP/err" "step 'held' timed out after 5 s [step-timeout]"
check "stalled Pod create, step timeout: the wait gave up" has "$TMP/err" "the step's time ran out"
check "stalled Pod create, step timeout: the step never ran" lacks "$TMP/out" the-step-ran
check "stalled Pod create, step timeout: over within 25 s (took ${took}s)" [ "$rc" -eq 1 -a "$took" -le 25 ]
kube_leak_check "stalled Pod create, step timeout"

before=$(stalled)
"$PIPEC" run --backend=kube "$TMP/held.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while [ "$(stalled)" -le "$before" ] && [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do
	sleep 0.1; i=$((i + 1))
done
sleep 1
interrupt_pid $pid
check "stalled Pod create: pipec was still waiting when interrupted" [ "$alive" = yes ]
check "stalled Pod create: SIGINT exits 130" exited 130 $rc
check "stalled Pod create: says it was interrupted" has "$TMP/err" "interrupted"
check "stalled Pod create: the step never ran" lacks "$TMP/out" the-step-ran
check "stalled Pod create: over within 20 s of SIGINT (took ${took}s)" [ "$alive" = yes -a "$took" -le 20 ]
stall 0
kube_leak_check "stalled Pod create"

# An API server that freezes mid-step (SIGSTOP): Ctrl-C still ends the
# run within a bound, naming the server as not answering and pointing at
# pipec prune; once it answers again, prune removes what was left.
cat >"$TMP/frozen.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: frozen
clone:
  disable: true
steps:
- name: long
  image: busybox
  commands: [echo started, sleep 300]
EOY
set -- $FAKE_PIDS
fake_pid=$1
"$PIPEC" run --backend=kube "$TMP/frozen.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
i=0
while ! grep -q 'long | started' "$TMP/out" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -STOP "$fake_pid"
sleep 1
interrupt_pid $pid
kill -CONT "$fake_pid"
check "frozen API server: the step was running" grep -q 'long | started' "$TMP/out"
check "frozen API server: SIGINT exits 130" [ "$rc" -eq 130 ]
check "frozen API server: named as not answering" has "$TMP/err" "did not answer within"
check "frozen API server: points at pipec prune" has "$TMP/err" "pipec prune --backend=kube"
check "frozen API server: over within 40 s of SIGINT (took ${took}s)" [ "$took" -le 40 ]
"$PIPEC" prune --backend=kube >"$TMP/prune.out" 2>&1
check "frozen API server: pipec prune then exits 0" [ $? -eq 0 ]
kube_leak_check "frozen API server"
