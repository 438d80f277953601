#!/bin/sh
# The Kubernetes backend against fake Kubernetes API servers (tests/kube:
# kubernetes-models checks every object, the Pods' containers run on the
# test engine): kubeconfig variants (token, client certificate over TLS
# with a test CA made by openssl, tls-server-name, exec plugin, in-cluster),
# the failure reasons Kubernetes gives, the pipeline's Kubernetes keys in the
# Pods it is sent, a watch the server keeps ending, Ctrl-C in
# the middle of a step, and prune after a killed run, in one namespace.
. tests/lib.sh
. tests/kube/lib.sh
kube_setup
H='Authorization: Bearer test-token'

cat >"$TMP/hello.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: hello
clone:
  disable: true
steps:
- name: greet
  image: busybox
  commands:
  - echo hello from kube
EOY

# runk NAME ARGS...: pipec run --backend=kube; output in $TMP/out, $TMP/err.
runk() { "$PIPEC" run --backend=kube "$@" >"$TMP/out" 2>"$TMP/err"; }
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -8; return 1; }; }

# ---- kubeconfig variants -----------------------------------------------------

runk "$TMP/hello.yml"
check "token: the step runs and says so" has "$TMP/out" "greet | hello from kube"
kube_leak_check "token"

kubeconfig "$TMP/wrong" "$KUBE_URL" "    token: not-the-token"
KUBECONFIG=$TMP/wrong runk "$TMP/hello.yml"
check "a refused token is an error naming the context" has "$TMP/err" "refused the credentials of context 'fake'"

# A test CA, a server certificate for 127.0.0.1 and api.fake.test, a client certificate.
cd "$TMP" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=pipec-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=fake 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:api.fake.test\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=ci/O=pipec 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 2>/dev/null
cd - >/dev/null || exit 1
fake_start tls --tls "$TMP/server.pem" "$TMP/server.key" --client-ca "$TMP/ca.pem" --token never-given
TLS_URL=$FAKE_URL
TLS_PORT=${FAKE_URL##*:}

kubeconfig "$TMP/kc-tls" "$TLS_URL" "    client-certificate: client.pem
    client-key: client.key"
sed -i "s|    server: $TLS_URL|    server: $TLS_URL\n    certificate-authority: ca.pem|" "$TMP/kc-tls"
KUBECONFIG=$TMP/kc-tls runk "$TMP/hello.yml"
check "client certificate over TLS with the test CA (relative paths)" has "$TMP/out" "hello from kube"

kubeconfig "$TMP/tls-data" "https://127.0.0.1:$TLS_PORT" "    client-certificate-data: $(base64 -w0 "$TMP/client.pem")
    client-key-data: $(base64 -w0 "$TMP/client.key")"
sed -i "s|    server: https://127.0.0.1:$TLS_PORT|    server: https://127.0.0.1:$TLS_PORT\n    certificate-authority-data: $(base64 -w0 "$TMP/ca.pem")\n    tls-server-name: api.fake.test|" "$TMP/tls-data"
KUBECONFIG=$TMP/tls-data runk "$TMP/hello.yml"
check "-data forms and tls-server-name" has "$TMP/out" "hello from kube"

kubeconfig "$TMP/tls-noca" "$TLS_URL" "    client-certificate: $TMP/client.pem
    client-key: $TMP/client.key"
KUBECONFIG=$TMP/tls-noca runk "$TMP/hello.yml"
check "without the CA the server is not trusted" has "$TMP/err" "[kube-unreachable]"

cat >"$TMP/plugin" <<EOP
#!/bin/sh
echo run >>"$TMP/plugin.count"
[ "\$1" = "--with space" ] && [ "\$PLUGIN_MODE" = test ] || exit 7
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"test-token","expirationTimestamp":"2099-01-01T00:00:00Z"}}\n'
EOP
chmod +x "$TMP/plugin"
kubeconfig "$TMP/exec" "$KUBE_URL" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $TMP/plugin
      args: ['--with space']
      env: [{name: PLUGIN_MODE, value: test}]"
KUBECONFIG=$TMP/exec runk "$TMP/hello.yml"
check "exec plugin: its token is used" has "$TMP/out" "hello from kube"
check "exec plugin: run once for the whole run, its answer kept" [ "$(wc -l <"$TMP/plugin.count")" -eq 1 ]

if command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	sa=/var/run/secrets/kubernetes.io/serviceaccount
	KUBECONFIG= KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$TLS_PORT \
		unshare -m sh -c "mount -t tmpfs tmpfs /run && mkdir -p $sa && echo never-given >$sa/token &&
			cp '$TMP/ca.pem' $sa/ca.crt && echo ci >$sa/namespace &&
			'$PIPEC' run --backend=kube '$TMP/hello.yml'" >"$TMP/out" 2>"$TMP/err"
	check "in-cluster: the service account's token, CA and namespace" has "$TMP/out" "hello from kube"
else
	ok "in-cluster: the service account's token, CA and namespace # SKIP no mount namespaces here"
fi
kube_leak_check "kubeconfig variants"

# ---- what Kubernetes says goes wrong -------------------------------------------

sed 's/image: busybox/image: no-such-image:1/' "$TMP/hello.yml" >"$TMP/pull.yml"
expect_exit 1 "ErrImagePull ends the step" runk "$TMP/pull.yml"
check "ErrImagePull: at the step's line with Kubernetes' reason" has "$TMP/err" "pull.yml:7:3: error: step 'greet' could not run: ErrImagePull"
kube_leak_check "ErrImagePull"

sed 's/  image: busybox/  image: busybox\n  resources:\n    limits:\n      memory: 100TiB/' "$TMP/hello.yml" >"$TMP/big.yml"
expect_exit 1 "Unschedulable ends the step" runk "$TMP/big.yml"
check "Unschedulable: with the scheduler's message" has "$TMP/err" "could not run: Unschedulable: 0/1 nodes are available: 1 Insufficient memory"
kube_leak_check "Unschedulable"

curl -s -H "$H" -H 'Content-Type: application/json' -X POST "$KUBE_URL/api/v1/namespaces/small/resourcequotas" \
	-d '{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"no-pods"},"spec":{"hard":{"pods":"0"}}}' >/dev/null
expect_exit 1 "a quota refusal ends the run" runk --namespace small "$TMP/hello.yml"
check "quota: Forbidden with Kubernetes' message at the step" has "$TMP/err" "Forbidden: pods \"pipec-"
check "quota: the rule says the server refused" has "$TMP/err" "exceeded quota: no-pods"
curl -s -H "$H" -X DELETE "$KUBE_URL/api/v1/namespaces/small/resourcequotas/no-pods" >/dev/null
kube_leak_check "quota"

cat >"$TMP/long.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: long
clone:
  disable: true
steps:
- name: wait
  image: busybox
  commands:
  - echo started
  - sleep 60
EOY

# wait_running [NS]: a container of a Pod in NS (default ci) runs, waited
# for while the run in the background ($pid) does.
wait_running() {
	i=0
	while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
		curl -s -H "$H" "$KUBE_URL/api/v1/namespaces/${1:-ci}/pods" | grep -q '"running"' && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
pod_name() {
	curl -s -H "$H" "$KUBE_URL/api/v1/namespaces/ci/pods" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])'
}

"$PIPEC" run --backend=kube "$TMP/long.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_running
curl -s -H "$H" -X POST "$KUBE_URL/api/v1/namespaces/ci/pods/$(pod_name)/eviction" \
	-H 'Content-Type: application/json' -d '{"apiVersion":"policy/v1","kind":"Eviction"}' >/dev/null
wait $pid
check "Evicted: the step fails with Kubernetes' reason" has "$TMP/err" "could not run: Evicted: The node was low on resource"
kube_leak_check "Evicted"

"$PIPEC" run --backend=kube "$TMP/long.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
check "Ctrl-C: the step was running" wait_running
kill -INT $pid
wait $pid
rc=$?
check "Ctrl-C: exit status 130" exited 130 $rc
check "Ctrl-C: the step's output came first" has "$TMP/out" "wait | started"
kube_leak_check "Ctrl-C mid-step"

# ---- the pipeline's Kubernetes keys ---------------------------------------------------

cat >"$TMP/keys.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: keys
clone:
  disable: true
metadata:
  namespace: keys-ns
  labels:
    team: platform
  annotations:
    owner: ops@example.com
node_selector:
  kubernetes.io/os: linux
tolerations:
- key: dedicated
  operator: Equal
  value: ci
  effect: NoSchedule
  toleration_seconds: 30
- operator: Exists
  effect: NoExecute
service_account_name: ci-runner
steps:
- name: greet
  image: busybox
  commands:
  - echo keyed
EOY
# sent KIND EXPR: EXPR (Python, over `o`) of the last KIND the fake server was sent.
sent() {
	curl -s -H "$H" "$KUBE_URL/fake/created" | python3 -c '
import json, sys
o = [x for x in json.load(sys.stdin) if x["kind"] == sys.argv[1]][-1]
print(eval(sys.argv[2]))' "$1" "$2"
}
runk "$TMP/keys.yml"
check "pipeline keys: the step runs" has "$TMP/out" "greet | keyed"
check "pipeline keys: the Pod is in the pipeline's namespace" [ "$(sent Pod 'o["metadata"]["namespace"]')" = keys-ns ]
check "pipeline keys: node_selector is the Pod's nodeSelector" \
	[ "$(sent Pod 'o["spec"]["nodeSelector"]')" = "{'kubernetes.io/os': 'linux'}" ]
check "pipeline keys: tolerations as Kubernetes spells them" \
	[ "$(sent Pod 'o["spec"]["tolerations"]')" = "[{'key': 'dedicated', 'operator': 'Equal', 'value': 'ci', 'effect': 'NoSchedule', 'tolerationSeconds': 30}, {'operator': 'Exists', 'effect': 'NoExecute'}]" ]
check "pipeline keys: the service account, with its token" \
	[ "$(sent Pod 'o["spec"]["serviceAccountName"], "automountServiceAccountToken" in o["spec"]')" = "('ci-runner', False)" ]
check "pipeline keys: labels and annotations beside pipec's, on the Pod" \
	[ "$(sent Pod 'o["metadata"]["labels"]["team"], o["metadata"]["annotations"]["owner"], o["metadata"]["labels"]["pipec.pipeline"]')" = "('platform', 'ops@example.com', 'keys')" ]
check "pipeline keys: and on the run's root" [ "$(sent ConfigMap 'o["metadata"]["labels"]["team"]')" = platform ]
runk --namespace ci "$TMP/keys.yml"
check "pipeline keys: --namespace wins over the pipeline's" [ "$(sent Pod 'o["metadata"]["namespace"]')" = ci ]
kube_leak_check "pipeline keys"

sed 's|kubernetes.io/os: linux|kubernetes.io/os: windows|' "$TMP/keys.yml" >"$TMP/nomatch.yml"
expect_exit 1 "pipeline keys: a node_selector no node matches ends the step" runk "$TMP/nomatch.yml"
check "pipeline keys: Unschedulable with the scheduler's message at the step" \
	has "$TMP/err" "nomatch.yml:24:3: error: step 'greet' could not run: Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector"
kube_leak_check "pipeline keys, no node"

# ---- a watch the server keeps ending -------------------------------------------------

fake_start relist --token test-token --history 3 --watch-seconds 1 --bookmark-ms 200
kubeconfig "$TMP/kc-relist" "$FAKE_URL" "    token: test-token"
cat >"$TMP/three.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: three
clone:
  disable: true
steps:
- {name: one, image: busybox, commands: [sleep 1, echo one]}
- {name: two, image: busybox, commands: [sleep 1, echo two]}
- {name: three, image: busybox, commands: [sleep 1, echo three]}
EOY
KUBECONFIG=$TMP/kc-relist runk "$TMP/three.yml"
check "a watch ended every second: the run succeeds" has "$TMP/out" "three | three"
watches=$(curl -s -H "$H" "$FAKE_URL/fake/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("WATCH", 0))')
check "the watch was reopened at its resourceVersion each time the server ended it" [ "$watches" -gt 2 ]

# ---- prune after a killed run ----------------------------------------------------------

"$PIPEC" run --backend=kube "$TMP/long.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_running
kill -9 $pid
wait $pid 2>/dev/null
check "a killed run leaves its objects" sh -c "[ -n \"\$(curl -s -H '$H' '$KUBE_URL/fake/objects' | tr -d '[]')\" ]"
"$PIPEC" prune --backend=kube --dry-run >"$TMP/out" 2>"$TMP/err"
check "prune --dry-run lists the run's root" has "$TMP/out" "would remove configmap pipec-"
"$PIPEC" prune --backend=kube >"$TMP/out" 2>"$TMP/err"
check "prune removes it" has "$TMP/out" "removed configmap pipec-"
kube_leak_check "prune" [ -s "$TMP/out" ]

# prune keeps to one namespace, and to the objects pipec labelled.
"$PIPEC" run --backend=kube --namespace other "$TMP/long.yml" >"$TMP/out" 2>"$TMP/err" &
pid=$!
check "prune, other namespace: the step was running" wait_running other
kill -9 $pid
wait $pid 2>/dev/null
curl -s -H "$H" -X POST "$KUBE_URL/api/v1/namespaces/other/configmaps" -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"not-pipecs"}}' >/dev/null
in_other() { kube_objects | grep -c '/other/'; }
before=$(in_other)
"$PIPEC" prune --backend=kube >"$TMP/out" 2>"$TMP/err"
check "prune, other namespace: the context's namespace is left alone (exit 0)" [ $? -eq 0 -a "$before" -gt 1 ]
check "prune, other namespace: the run's objects and another are there" [ "$before" -gt 1 ]
check "prune, other namespace: nothing in it was touched" [ "$before" -gt 1 -a "$(in_other)" = "$before" ]
"$PIPEC" prune --backend=kube --namespace other >"$TMP/out" 2>"$TMP/err"
check "prune --namespace: removes the run's root there" has "$TMP/out" "removed configmap pipec-"
check "prune --namespace: but not an object pipec did not label" sh -c "grep -q 'removed configmap pipec-' '$TMP/out' && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -H '$H' '$KUBE_URL/api/v1/namespaces/other/configmaps/not-pipecs')\" = 200 ]"
curl -s -H "$H" -X DELETE "$KUBE_URL/api/v1/namespaces/other/configmaps/not-pipecs" >/dev/null
kube_leak_check "prune --namespace" [ -s "$TMP/out" ]
