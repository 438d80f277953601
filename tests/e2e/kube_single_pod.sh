#!/bin/sh
# --kube-single-pod against a fake Kubernetes API server (tests/kube:
# kubernetes-models checks every object, the Pod's containers run on the
# test engine): the pipeline is one Pod, its service a native sidecar the
# steps reach by name, its steps containers run in order on one workspace,
# secrets by reference to the run's Secret; a failing step fails the run
# with its exit status, the steps after it are reported as not run, and
# what a Pod cannot do in order is refused before anything starts.
. tests/lib.sh
. tests/kube/lib.sh
kube_setup

runk() { "$PIPEC" run --backend=kube --kube-single-pod "$@" >"$TMP/out" 2>"$TMP/err"; }
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -8; return 1; }; }
# says STEP TEXT: the step printed TEXT (its prefix padded to the longest name).
says() { grep -qE -- "^$1 *\| $2\$" "$TMP/out" || { echo "# '$1 | $2' not in the output:"; sed 's/^/#   /' "$TMP/out" | tail -8; return 1; }; }
# created KIND: how many objects of KIND pipec created on the fake server.
created() {
	curl -s -H 'Authorization: Bearer test-token' "$KUBE_URL/fake/created" |
		python3 -c 'import json, sys; print(sum(o["kind"] == sys.argv[1] for o in json.load(sys.stdin)))' "$1"
}
# pod_json EXPR: a Python expression over the last Pod created (`pod`).
pod_json() {
	curl -s -H 'Authorization: Bearer test-token' "$KUBE_URL/fake/created" |
		python3 -c 'import json, sys; pod = [o for o in json.load(sys.stdin) if o["kind"] == "Pod"][-1]; print(eval(sys.argv[1]))' "$1"
}

cat >"$TMP/one.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: onepod
clone:
  disable: true
services:
- name: cache
  image: redis
  healthcheck:
    test: [CMD, redis-cli, ping]
    interval: 500ms
steps:
- name: write
  image: busybox
  environment:
    TOKEN:
      from_secret: token
  commands:
  - echo "the token has $${#TOKEN} characters" > note.txt
- name: read
  image: redis
  commands:
  - cat note.txt
  - redis-cli -h cache ping
EOY

pods_before=$(created Pod)
runk --secret token=a-secret-value "$TMP/one.yml"
rc=$?
check "one Pod: the run succeeds" exited 0 $rc
check "one Pod: a later step reads what an earlier one wrote" says read "the token has 14 characters"
check "one Pod: the service is reached by name from a step" says read PONG
check "one Pod: exactly one Pod was created for the pipeline" [ $(($(created Pod) - pods_before)) -eq 1 ]
check "one Pod: the service is a sidecar held until its check passes" \
	[ "$(pod_json 'pod["spec"]["initContainers"][0]["restartPolicy"] + " " + str("startupProbe" in pod["spec"]["initContainers"][0])')" = "Always True" ]
check "one Pod: steps in order, the last one the Pod's container" \
	[ "$(pod_json '[c["name"] for c in pod["spec"]["initContainers"][1:]] + [c["name"] for c in pod["spec"]["containers"]]')" = "['write', 'read']" ]
check "one Pod: the secret by reference, never its value" \
	[ "$(pod_json '"a-secret-value" not in json.dumps(pod) and "secretKeyRef" in json.dumps(pod)')" = True ]
check "one Pod: no claim, the workspace is the Pod's own" \
	[ $(($(created Pod) - pods_before)) -eq 1 -a "$(created PersistentVolumeClaim)" -eq 0 ]
kube_leak_check "one Pod"

cat >"$TMP/fail.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: failing
clone:
  disable: true
steps:
- {name: first, image: busybox, commands: [echo first ran]}
- {name: broken, image: busybox, commands: [exit 3]}
- {name: never, image: busybox, commands: [echo never printed]}
EOY
expect_exit 1 "one Pod: a failing step fails the run" runk "$TMP/fail.yml"
check "one Pod: the failure is the step's exit status at its line" has "$TMP/err" "fail.yml:8:3: error: step 'broken' exited with status 3 [step-failed]"
check "one Pod: the steps before it ran" says first "first ran"
check "one Pod: the step after it did not run" lacks "$TMP/out" 'never printed'
kube_leak_check "one Pod, failing"

cat >"$TMP/refused.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: refused
clone:
  disable: true
steps:
- {name: flaky, image: busybox, commands: [exit 1], failure: ignore}
- {name: report, image: busybox, commands: [echo report], when: {status: [failure]}}
EOY
objects_before=$(created ConfigMap)
expect_exit 2 "one Pod: what containers in order cannot do is refused" runk "$TMP/refused.yml"
check "one Pod: failure: ignore is refused at the step" has "$TMP/err" "refused.yml:7:3: error: step 'flaky' asks for failure: ignore"
check "one Pod: a run policy is refused at its step, with the way out" has "$TMP/err" "run it without --kube-single-pod [kube-unsupported]"
check "one Pod: nothing was made before the refusal" \
	sh -c 'grep -q "\[kube-unsupported\]\$" "$1" && [ "$2" -eq "$3" ]' - "$TMP/err" "$(created ConfigMap)" "$objects_before"
kube_leak_check "one Pod, refused"
