#!/bin/sh
# Every `type: docker` sample in samples/ runs on a real engine and
# succeeds.  Secrets the sample takes get a made-up value; a sample that
# clones is run from a copy with the clone disabled (the clone step needs
# a reachable remote, which the test machine does not have).
. tests/lib.sh
. tests/docker/lib.sh
docker_setup
run_samples docker "on docker" leak_check
