#!/bin/sh
# pipec emit --format=kube: every sample and golden input that compiles
# is written (exit 0, not empty) and every object passes the checks the
# API server makes (tests/kube-objects.js: kubernetes-models' validators,
# unknown fields refused); then what the mapping promises: one Job per
# pipeline running it in one Pod, services as native sidecars, steps as
# init containers in order, secrets as secretKeyRefs into --secret-name.
. tests/lib.sh

ctx=$EMIT_CONTEXT
check_emit_inputs kube

if ! sh tests/npm-deps.sh; then
	ok "emit kube: kubernetes-models # SKIP npm or the registry is unavailable"
	exit 0
fi
check "emit kube: every object passes kubernetes-models, unknown fields refused" \
	node tests/kube-objects.js "$TMP"/emit-*.out
# The checker is no yes-man: an unknown field and a restarting Job Pod fail.
sed 's/^  backoffLimit: 0$/  backoffLimit: 0\n  colour: red/; s/restartPolicy: Never/restartPolicy: Always/' \
	"$TMP/emit-1.out" >"$TMP/broken.yml"
node tests/kube-objects.js "$TMP/broken.yml" >"$TMP/out" 2>&1
check "emit kube: the checker refuses a broken Job" [ $? -eq 1 -a -s "$TMP/emit-1.out" ]
check "emit kube: an unknown field, named" grep -q 'job.spec.colour: field not declared' "$TMP/out"
check "emit kube: a restarting Pod, named" grep -q 'restartPolicy: Unsupported value' "$TMP/out"

# emit FILE [OPTIONS]: the objects of FILE as JSON in $TMP/k.json, checked.
emit() {
	f=$1; shift
	# shellcheck disable=SC2086
	"$PIPEC" emit --format=kube $ctx "$@" "$f" -o "$TMP/k.yml" 2>"$TMP/err" &&
		[ -s "$TMP/k.yml" ] && node tests/kube-objects.js "$TMP/k.yml" &&
		python3 -c 'import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), open(sys.argv[2], "w"))' \
			"$TMP/k.yml" "$TMP/k.json"
}
# q EXPR: true when the Python expression over `o` (the objects) holds.
q() {
	python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$TMP/k.json" "$1"
}
pod='[x for x in o if x["kind"] == "Job"][0]["spec"]["template"]["spec"]'

check "emit kube: redis-services sample written" emit samples/redis-services.yml
check "emit kube: a ConfigMap and a Job" q '[x["kind"] for x in o] == ["ConfigMap", "Job"]'
check "emit kube: services are native sidecars, reachable by name" \
	q "[c['name'] for c in $pod['initContainers'] if c.get('restartPolicy') == 'Always'] == ['redis-a', 'redis-b', 'redis-c'] and $pod['hostAliases'][0]['hostnames'] == ['redis-a', 'redis-b', 'redis-c']"
check "emit kube: the step is the Pod's container, its script from the ConfigMap" \
	q "$pod['containers'][0]['name'] == 'ping-all' and $pod['containers'][0]['args'] == ['/pipec/script.sh']"
check "emit kube: the workspace is an emptyDir" \
	q "{'name': 'pipec-workspace', 'emptyDir': {}} in $pod['volumes']"

check "emit kube: dag sample written" emit samples/dag.yml
check "emit kube: steps are init containers in the normalized order" \
	q "[c['name'] for c in $pod['initContainers']] + [c['name'] for c in $pod['containers']] == ['fetch', 'lint', 'unit', 'package']"
check "emit kube: an exec pipeline runs in --exec-image, warned" \
	q "all(c['image'] == 'busybox' for c in $pod['containers'])"
check "emit kube: the warning names the format" grep -q "kube: the steps of local pipeline 'dag' run in image 'busybox'" "$TMP/err"

PIPEC_SAMPLE_TOKEN=sample-token-value
export PIPEC_SAMPLE_TOKEN
check "emit kube: secrets sample written" emit samples/secrets.yml --secret-name=ci-secrets
check "emit kube: a secret is a secretKeyRef into --secret-name" \
	q "{'name': 'API_TOKEN', 'valueFrom': {'secretKeyRef': {'name': 'ci-secrets', 'key': 'api_token'}}} in $pod['containers'][0]['env']"
check "emit kube: no secret value in the objects" sh -c "[ -s '$TMP/k.yml' ] && ! grep -q sample-token-value '$TMP/k.yml'"

check "emit kube: on-failure sample written" emit samples/on-failure.yml
check "emit kube: a step that runs only after a failure is left out" \
	q "'notify' not in [c['name'] for c in $pod['initContainers'] + $pod['containers']]"
check "emit kube: and warned about" grep -q "step 'notify' runs only after a failure.*left out \[emit-unsupported\]" "$TMP/err"

check "emit kube: multi-pipeline sample written" emit samples/multi-pipeline.yml
check "emit kube: a Job per pipeline, in depends_on order" \
	q '[x["metadata"]["name"] for x in o if x["kind"] == "Job"] == ["test", "deploy", "docs"]'
