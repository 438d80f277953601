// kube-objects.js FILE... - checks each object of each YAML stream the way
// the API server would store it: ConfigMaps, Secrets and Pods through
// tests/kube/schema.js (the kubernetes-models validator, unknown fields
// refused), a Job through the same for batch/v1 and for its Pod template.
// Prints `FILE: kind/name: problem` lines; exits 1 when there is one, 2
// when the packages are not installed.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = process.env.NODE_PATH || path.join(process.cwd(), "build/npm/node_modules");
let YAML, batch, schema;
try {
  YAML = require(path.join(modules, "yaml"));
  batch = require(path.join(modules, "kubernetes-models/batch/v1"));
  schema = require("./kube/schema.js");
} catch (e) {
  console.error(`cannot load the checkers: ${e.message}`);
  process.exit(2);
}

function checkJob(o) {
  const out = [];
  try { new batch.Job(o).validate(); } catch (e) { out.push(String(e.message).split("\n").slice(0, 5).join("; ")); }
  schema.unknownFields(o, path.join(modules, "kubernetes-models/batch/v1/Job.d.ts"), "job", out);
  const t = (o.spec || {}).template || {};
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { ...(t.metadata || {}), name: (o.metadata || {}).name }, spec: t.spec };
  for (const p of schema.check(pod)) out.push(`spec.template: ${p}`);
  if ((t.spec || {}).restartPolicy !== "Never" && (t.spec || {}).restartPolicy !== "OnFailure")
    out.push("spec.template.spec.restartPolicy: Unsupported value: a Job's Pod restarts Never or OnFailure");
  return out;
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  if (!docs.length) { console.log(`${file}: no object`); failed = 1; }
  for (const d of docs) {
    if (d.errors.length) { console.log(`${file}: ${d.errors[0].message}`); failed = 1; continue; }
    const o = d.toJS();
    const what = `${o && o.kind}/${o && o.metadata && o.metadata.name}`;
    const problems = o && o.kind === "Job" && o.apiVersion === "batch/v1" ? checkJob(o) : schema.check(o);
    for (const p of problems) console.log(`${file}: ${what}: ${p}`);
    if (problems.length) failed = 1;
  }
}
process.exit(failed);
