#!/bin/sh
# Every `type: docker` sample runs with --backend=kube against the fake
# Kubernetes API server (tests/kube: kubernetes-models checks each object,
# the Pods' containers run on the test engine) and succeeds, as it does on
# Docker; nothing is left on the fake server afterwards.
. tests/lib.sh
. tests/kube/lib.sh
kube_setup
run_samples kube "on the fake Kubernetes API server" kube_leak_check
check "samples: the fake server refused no object (kubernetes-models)" \
	sh -c "curl -s -H 'Authorization: Bearer test-token' '$KUBE_URL/fake/created' | grep -q '\"kind\"' &&
		! grep -q '^refused' '$FAKE_STATE/log'"
