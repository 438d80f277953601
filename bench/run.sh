#!/bin/sh
# `make bench`: each area's benchmark in turn.  Every one measures its
# baseline in the same run and prints its figures as ratios to it.
set -e
cd "$(dirname "$0")/.."
sh bench/frontend/run.sh
sh bench/ir/run.sh
sh bench/lint/run.sh
sh bench/lsp/run.sh
sh bench/run/run.sh
sh bench/docker/run.sh
sh bench/kube/run.sh
sh bench/memory/run.sh
