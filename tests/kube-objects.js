// kube-objects.js FILE... - checks each object of each YAML stream the way
// the API server would store it: ConfigMaps, Secrets and Pods through
// tests/kube/schema.js (the kubernetes-models validator, unknown fields
// refused), a Job (batch/v1) and its Pod template through the same,
// an Argo Workflow through @kubernetes-models/argo-workflows (unknown
// fields refused too), each container template as a Pod, and its DAGs'
// references to templates and tasks.
// Prints `FILE: kind/name: problem` lines; exits 1 when there is one, 2
// when the packages are not installed.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = process.env.NODE_PATH || path.join(process.cwd(), "build/npm/node_modules");
let YAML, argo, schema;
try {
  YAML = require(path.join(modules, "yaml"));
  argo = require(path.join(modules, "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1"));
  schema = require("./kube/schema.js");
} catch (e) {
  console.error(`cannot load the checkers: ${e.message}`);
  process.exit(2);
}

function checkWorkflow(o) {
  const out = [];
  try { new argo.Workflow(o).validate(); } catch (e) { out.push(String(e.message).split("\n").slice(0, 5).join("; ")); }
  schema.unknownFields(o, path.join(modules, "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow.d.ts"), "workflow", out);
  const spec = o.spec || {}, templates = spec.templates || [];
  const names = new Set(templates.map((t) => t.name));
  const claims = (spec.volumeClaimTemplates || []).map((c) => ({ name: c.metadata.name, emptyDir: {} }));
  if (!names.has(spec.entrypoint)) out.push(`spec.entrypoint: no template "${spec.entrypoint}"`);
  for (const t of templates) {
    if (t.container) {
      const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: t.name },
        spec: { containers: [t.container], volumes: [...(t.volumes || []), ...claims] } };
      for (const p of schema.check(pod)) out.push(`template ${t.name}: ${p}`);
    }
    const tasks = (t.dag || {}).tasks || [];
    const taskNames = new Set(tasks.map((k) => k.name));
    for (const k of tasks) {
      if (!names.has(k.template)) out.push(`template ${t.name}: task ${k.name}: no template "${k.template}"`);
      for (const m of (k.depends || "").matchAll(/[A-Za-z0-9_-]+(?=\.|\s|\)|$)/g))
        if (!/^(Succeeded|Failed|Errored|Skipped|Omitted|Daemoned)$/.test(m[0]) && !taskNames.has(m[0]))
          out.push(`template ${t.name}: task ${k.name}: depends on no task "${m[0]}"`);
    }
  }
  return out;
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  if (!docs.length) { console.log(`${file}: no object`); failed = 1; }
  for (const d of docs) {
    if (d.errors.length) { console.log(`${file}: ${d.errors[0].message}`); failed = 1; continue; }
    const o = d.toJS();
    const what = `${o && o.kind}/${o && o.metadata && (o.metadata.name || o.metadata.generateName)}`;
    const problems = o && o.kind === "Workflow" && o.apiVersion === "argoproj.io/v1alpha1" ? checkWorkflow(o)
      : schema.check(o);
    for (const p of problems) console.log(`${file}: ${what}: ${p}`);
    if (problems.length) failed = 1;
  }
}
process.exit(failed);
