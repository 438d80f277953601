// schema.js - checks an object the way the API server does before storing
// it (a Pod, Service, Secret, ConfigMap, claim or quota of v1, a Job of
// batch/v1): the kubernetes-models validator (types, enums, required
// fields) and, because that validator lets unknown fields through while
// the API server's strict field validation refuses them, a walk over the
// object against the interfaces in kubernetes-models' type declarations,
// which list every field each type has.
"use strict";
const fs = require("fs");
const path = require("path");

const modules = process.env.NODE_PATH || path.join(process.cwd(), "build/npm/node_modules");
const v1 = require(path.join(modules, "kubernetes-models/v1"));
const batch = require(path.join(modules, "kubernetes-models/batch/v1"));

const kinds = {
  Pod: "Pod", Service: "Service", Secret: "Secret", ConfigMap: "ConfigMap",
  PersistentVolumeClaim: "PersistentVolumeClaim", ResourceQuota: "ResourceQuota",
};

// ---- the field lists, read from .d.ts files -------------------------------

const parsed = new Map();   // file -> {imports: name -> file, iface: {props}}

function resolve(from, spec) {
  spec = spec.replace(/\.js$/, "");
  const base = spec.startsWith(".") ? path.resolve(path.dirname(from), spec) : path.join(modules, spec);
  return base + ".d.ts";
}

function parse(file) {
  if (parsed.has(file)) return parsed.get(file);
  const text = fs.readFileSync(file, "utf8");
  const imports = {};
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports[m[1]] = resolve(file, m[2]);
  const m = /export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/.exec(text);
  let props = null;
  if (m) {
    props = {};
    for (const p of m[1].matchAll(/^ {4}"([^"]+)"\??: (.*?);?$/gm)) props[p[1]] = p[2];
  }
  const r = { imports, props };
  parsed.set(file, r);
  return r;
}

// The declaration file of the interface a property's type names, or null.
function typeFile(file, type) {
  const arr = /^Array<(\w+)>$/.exec(type);
  const name = arr ? arr[1] : type;
  const f = parse(file).imports[name];
  return f ? { file: f, array: !!arr } : null;
}

function unknownFields(obj, file, where, out) {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return;
  const props = parse(file).props;
  if (!props) return;   // a type alias (Quantity, IntOrString, Time)
  for (const k of Object.keys(obj)) {
    if (!(k in props)) { out.push(`${where}.${k}: field not declared in schema`); continue; }
    const t = typeFile(file, props[k]);
    if (!t) continue;
    const vals = t.array && Array.isArray(obj[k]) ? obj[k] : [obj[k]];
    vals.forEach((v, i) => unknownFields(v, t.file, t.array ? `${where}.${k}[${i}]` : `${where}.${k}`, out));
  }
}

// ---- what the API server also checks ----------------------------------------

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function metaProblems(o, out) {
  const m = o.metadata || {};
  const name = m.name || "";
  const ok = o.kind === "Service" ? name.length <= 63 && dns1035.test(name)
    : name.length <= 253 && name.split(".").every((p) => dnsLabel.test(p));
  if (!name) out.push("metadata.name: Required value");
  else if (!ok) out.push(`metadata.name: Invalid value: "${name}": must be a valid DNS ${o.kind === "Service" ? "label" : "subdomain"}`);
  for (const [k, v] of Object.entries(m.labels || {}))
    if (v.length > 63 || !labelValue.test(v)) out.push(`metadata.labels: Invalid value: "${v}": a valid label value (key ${k})`);
  if (o.kind === "Pod") podProblems(o, out);
}

function podProblems(o, out) {
  const spec = o.spec || {};
  const cs = [...(spec.initContainers || []), ...(spec.containers || [])];
  if (!(spec.containers || []).length) out.push("spec.containers: Required value");
  const names = new Set(), vols = new Set((spec.volumes || []).map((v) => v.name));
  for (const c of cs) {
    if (!dnsLabel.test(c.name || "")) out.push(`spec.containers.name: Invalid value: "${c.name}"`);
    if (names.has(c.name)) out.push(`spec.containers.name: Duplicate value: "${c.name}"`);
    names.add(c.name);
    if (!c.image) out.push(`spec.containers[${c.name}].image: Required value`);
    for (const m of c.volumeMounts || [])
      if (!vols.has(m.name)) out.push(`spec.containers[${c.name}].volumeMounts.name: Not found: "${m.name}"`);
  }
}

// A batch/v1 Job: itself, and its Pod template as a Pod.
function jobProblems(o) {
  const out = [];
  try { new batch.Job(o).validate(); } catch (e) { out.push(String(e.message).split("\n").slice(0, 5).join("; ")); }
  unknownFields(o, path.join(modules, "kubernetes-models/batch/v1/Job.d.ts"), "job", out);
  const t = (o.spec || {}).template || {};
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { ...(t.metadata || {}), name: (o.metadata || {}).name }, spec: t.spec };
  for (const p of check(pod)) out.push(`spec.template: ${p}`);
  if ((t.spec || {}).restartPolicy !== "Never" && (t.spec || {}).restartPolicy !== "OnFailure")
    out.push("spec.template.spec.restartPolicy: Unsupported value: a Job's Pod restarts Never or OnFailure");
  return out;
}

// Problems with `o` as a string list; empty when the API server would take it.
function check(o) {
  if (o && o.kind === "Job" && o.apiVersion === "batch/v1") return jobProblems(o);
  const out = [];
  const K = kinds[o && o.kind];
  if (!K || o.apiVersion !== "v1") return [`kind ${o && o.kind} ${o && o.apiVersion} is not served here`];
  try { new v1[K](o).validate(); } catch (e) { out.push(String(e.message).split("\n").slice(0, 5).join("; ")); }
  unknownFields(o, path.join(modules, `kubernetes-models/v1/${K}.d.ts`), K.toLowerCase(), out);
  metaProblems(o, out);
  return out;
}

module.exports = { check, unknownFields };
