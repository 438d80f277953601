#!/bin/sh
# Writes a Drone pipeline with STEPS steps (default 2000, about 1 MB) to
# stdout: each step has an image, environment, commands
# with quoting and $$ escapes, a when block with globs, and depends_on
# the step before it, so the compile does what real files make it do.
STEPS=${1:-2000}
awk -v steps="$STEPS" 'BEGIN {
	print "kind: pipeline"
	print "type: docker"
	print "name: bench"
	print ""
	print "steps:"
	for (i = 0; i < steps; i++) {
		n = sprintf("%04d", i)
		print "- name: step-" n
		print "  image: golang:1.21-bookworm"
		print "  environment:"
		print "    GOOS: linux"
		print "    CGO_ENABLED: \"0\""
		print "    BUILD_TAG: build-" n "-${DRONE_BRANCH:-local}"
		print "  commands:"
		print "  - go build -o bin/app-" n " ./cmd/app"
		print "  - go test -run '\''Test" n "$'\'' ./internal/... ./pkg/..."
		print "  - echo \"built $${CI_COMMIT_SHA:-unknown} on $$(uname -m)\" > out-" n ".txt"
		print "  - |"
		print "    if [ -n \"$${RELEASE}\" ]; then"
		print "      echo release step " n
		print "    fi"
		print "  when:"
		print "    branch: [main, \"release/*\", \"feature/**\"]"
		print "    event:"
		print "      include: [push, tag, pull_request]"
		print "      exclude: [promote]"
		if (i > 0)
			print "  depends_on: [step-" sprintf("%04d", i - 1) "]"
		print ""
	}
}'
