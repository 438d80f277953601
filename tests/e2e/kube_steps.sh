#!/bin/sh
# What a step's Pod gets from its pipeline, against a fake Kubernetes API
# server (tests/kube: kubernetes-models checks every object, the Pods'
# containers run on the test engine): registry credentials from
# image_pull_secrets as a kubernetes.io/dockerconfigjson Secret the Pod
# names, with which the fake kubelet pulls from a private registry (Debian's
# docker-registry); the pipeline's dns_config and host_aliases with a step's
# dns, dns_search and extra_hosts as the Pod's dnsConfig and hostAliases,
# seen in the step.  Nothing is left after any case.
. tests/lib.sh
. tests/kube/lib.sh
. tests/docker/registry.sh
kube_setup
trap 'registry_down; fake_stop_all; engine_down; rm -rf "$TMP"' EXIT
H='Authorization: Bearer test-token'

runk() { "$PIPEC" run --backend=kube "$@" >"$TMP/out" 2>"$TMP/err"; }
has() { grep -qF -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | tail -8; return 1; }; }
# sent KIND EXPR: EXPR (Python, over `o`) of the last KIND the fake server was sent.
sent() {
	curl -s -H "$H" "$KUBE_URL/fake/created" | python3 -c '
import json, sys
o = [x for x in json.load(sys.stdin) if x["kind"] == sys.argv[1]][-1]
print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- image_pull_secrets ----------------------------------------------------------

if ! registry_up; then
	fail "registry: starts and holds the private image"
	exit 1
fi
auth=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 | tr -d '\n')
printf '{"auths": {"http://%s": {"auth": "%s"}}}\n' "$REGISTRY" "$auth" >"$TMP/config.json"
cat >"$TMP/private.yml" <<EOY
kind: pipeline
type: kubernetes
name: private
clone:
  disable: true
image_pull_secrets:
- dockerconfig
steps:
- name: private
  image: $REG_IMAGE
  commands:
  - echo pulled-with-secret
EOY

docker rmi -f "$REG_IMAGE" >/dev/null 2>&1
expect_exit 1 "no credentials: the run fails" runk "$TMP/private.yml"
check "no credentials: the kubelet could not pull, at the step" has "$TMP/err" "private.yml:9:3: error: step 'private' could not run: ErrImagePull"
kube_leak_check "no credentials"

runk --secret-file "dockerconfig=$TMP/config.json" "$TMP/private.yml"
check "image_pull_secrets: the run succeeds" exited 0 $?
check "image_pull_secrets: the image was pulled with them and the step ran" has "$TMP/out" "private | pulled-with-secret"
check "image_pull_secrets: a kubernetes.io/dockerconfigjson Secret of the run" \
	[ "$(sent Secret 'o["type"], list(o["data"])')" = "('kubernetes.io/dockerconfigjson', ['.dockerconfigjson'])" ]
check "image_pull_secrets: holding the credentials for the registry" \
	[ "$(sent Secret 'json.loads(__import__("base64").b64decode(o["data"][".dockerconfigjson"]))["auths"]["http://'"$REGISTRY"'"]["auth"]')" = "$auth" ]
pull_secret=$(sent Secret 'o["metadata"]["name"]')
check "image_pull_secrets: the Pod names it in imagePullSecrets" \
	[ "$(sent Pod 'o["spec"]["imagePullSecrets"]')" = "[{'name': '$pull_secret'}]" ]
curl -s -H "$H" "$KUBE_URL/fake/created" >"$TMP/created.json"
check "image_pull_secrets: the Pod carries no credential" \
	python3 -c 'import json, sys
pods = [o for o in json.load(open(sys.argv[1])) if o["kind"] == "Pod"]
text = json.dumps(pods)
sys.exit(0 if pods and sys.argv[2] not in text and sys.argv[3] not in text else 1)' "$TMP/created.json" "$auth" "$REG_PASS"
check "image_pull_secrets: the password is in no output" \
	sh -c "grep -q 'private | pulled-with-secret' '$TMP/out' && ! grep -qF -- '$REG_PASS' '$TMP/out' '$TMP/err'"
kube_leak_check "image_pull_secrets"

printf '{"credsStore": "desktop"}\n' >"$TMP/helper.json"
expect_exit 1 "a credential helper: refused" runk --secret-file "dockerconfig=$TMP/helper.json" "$TMP/private.yml"
check "a credential helper: said why, at the pipeline" has "$TMP/err" "image_pull_secrets 'dockerconfig' is not a registry credentials file with \"auths\""
kube_leak_check "a credential helper"
docker rmi -f "$REG_IMAGE" >/dev/null 2>&1

# ---- dns_config, host_aliases, dns, dns_search, extra_hosts ----------------------------

cat >"$TMP/dns.yml" <<'EOY'
kind: pipeline
type: kubernetes
name: dns
clone:
  disable: true
dns_config:
  searches: [pipeline.example.test]
  options:
  - {name: ndots, value: "3"}
host_aliases:
- {ip: 10.4.5.6, hostnames: [cache.internal]}
steps:
- name: look
  image: busybox
  dns: [10.9.9.9]
  dns_search: [corp.example.test]
  extra_hosts:
  - db.internal:10.1.2.3
  commands:
  - grep -e db.internal -e cache.internal /etc/hosts
  - grep -e ^search -e ^options /etc/resolv.conf
EOY
runk --trusted "$TMP/dns.yml"
check "dns: the run succeeds" exited 0 $?
check "host_aliases, extra_hosts: the Pod's hostAliases, the pipeline's first" \
	[ "$(sent Pod 'o["spec"]["hostAliases"]')" = "[{'ip': '10.4.5.6', 'hostnames': ['cache.internal']}, {'ip': '10.1.2.3', 'hostnames': ['db.internal']}]" ]
check "dns_config, dns, dns_search: the Pod's dnsConfig" \
	[ "$(sent Pod 'sorted(o["spec"]["dnsConfig"].items())')" = "[('nameservers', ['10.9.9.9']), ('options', [{'name': 'ndots', 'value': '3'}]), ('searches', ['pipeline.example.test', 'corp.example.test'])]" ]
check "extra_hosts: the step resolves the name" has "$TMP/out" "10.1.2.3"
check "host_aliases: the step resolves the pipeline's name" has "$TMP/out" "10.4.5.6"
check "dns_search: the step's resolver searches the domain" has "$TMP/out" "corp.example.test"
check "dns_config: the step's resolver searches the pipeline's domain" has "$TMP/out" "pipeline.example.test"
check "dns_config: with the pipeline's options" has "$TMP/out" "ndots:3"
kube_leak_check "dns"
