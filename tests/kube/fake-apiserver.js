// fake-apiserver.js - a fake Kubernetes API server for the test suite.
//
// It is not Kubernetes: it serves the endpoints pipec uses, with the API's
// semantics (Status objects with 201/404/409/410/422, resourceVersion on
// every change, list and watch with label selectors, bookmarks, 410 Gone for
// a resourceVersion older than its history, log streams with follow,
// ownerReferences and foreground deletion, ResourceQuota on Pods), checks
// every object it receives with kubernetes-models (schema.js), and runs each
// Pod's containers on a Docker engine (kubelet.js), so steps really run.
// A batch/v1 Job gets one Pod from its template (its controller, as with
// backoffLimit 0: no retries, no parallelism, activeDeadlineSeconds not
// enforced), and the Job's status follows that Pod: `succeeded` or `failed`
// and the condition Complete or Failed once it ends.
//
//   node tests/kube/fake-apiserver.js --docker SOCK --state DIR --port-file F
//        [--tls CERT KEY] [--client-ca CA] [--token T] [--history N]
//        [--bookmark-ms N] [--watch-seconds N] [--memory BYTES]
//
// With --token, requests must carry it as a bearer token, unless they come
// with a client certificate signed by --client-ca.  GET /fake/requests
// answers how many API requests of each verb (POST, LIST, WATCH, LOG,
// DELETE...) it served (for the benchmark);
// GET /fake/objects lists every object it holds (for the leak checks),
// GET /fake/created every object created, as sent (for tests of the specs);
// POST /fake/expire ends every watch with 410 Gone, as a compaction would;
// POST /fake/stall?resource=R&seconds=N holds each create of R back N
// seconds (0: no more), as a server stuck in an admission webhook does;
// one whose client hung up meanwhile is dropped, never made.  GET
// /fake/stalled says how many creates were held so far.
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const crypto = require("crypto");
const { check } = require("./schema.js");
const { Kubelet } = require("./kubelet.js");

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i].replace(/^--/, "");
  args[a] = a === "tls" ? [process.argv[++i], process.argv[++i]] : process.argv[++i];
}
const HISTORY = Number(args.history || 1000);
const BOOKMARK_MS = Number(args["bookmark-ms"] || 1000);
const WATCH_SECONDS = Number(args["watch-seconds"] || 300);

const kindOf = {
  pods: "Pod", services: "Service", secrets: "Secret", configmaps: "ConfigMap",
  persistentvolumeclaims: "PersistentVolumeClaim", resourcequotas: "ResourceQuota", jobs: "Job",
};
// The API group of each resource, as in its URL path and apiVersion.
const groupOf = (resource) => (resource === "jobs" ? "batch/v1" : "v1");

// ---- the store -------------------------------------------------------------

let rv = 100;
const objects = new Map();        // "kind/ns/name" -> object
const events = [];                // {rv, resource, ns, type, object}
const watchers = new Set();
const counts = {};
const created = [];               // every object created, as it was sent
let expiredBelow = 0;             // /fake/expire: older resourceVersions are gone
const stalls = {};                // /fake/stall: resource -> seconds a create is held
let stalled = 0;                  // creates held so far

const keyOf = (resource, ns, name) => `${resource}/${ns}/${name}`;
const clone = (o) => JSON.parse(JSON.stringify(o));

function emit(resource, type, obj) {
  const ev = { rv: Number(obj.metadata.resourceVersion), resource, ns: obj.metadata.namespace, type, object: clone(obj) };
  events.push(ev);
  if (events.length > HISTORY) events.shift();
  for (const w of watchers) w.send(ev);
}

function bump(obj) {
  obj.metadata.resourceVersion = String(++rv);
}

const store = {
  get: (resource, ns, name) => objects.get(keyOf(resource, ns, name)),
  list: (resource, ns) => [...objects.entries()].filter(([k]) => k.startsWith(`${resource}/${ns}/`)).map(([, o]) => o),
  all: () => [...objects.values()],
  // Saves a change someone (the kubelet, the garbage collector) made.
  update(resource, obj) {
    if (!objects.has(keyOf(resource, obj.metadata.namespace, obj.metadata.name))) return;
    bump(obj);
    emit(resource, "MODIFIED", obj);
    if (resource === "pods") jobFollows(obj);
  },
  remove(resource, obj) {
    const k = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    if (!objects.has(k)) return;
    objects.delete(k);
    bump(obj);
    emit(resource, "DELETED", obj);
    collect(obj);
  },
};

// ---- answers ---------------------------------------------------------------

function status(res, code, reason, message, details) {
  if (code === 422) console.error(`refused: ${message}`);
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, details, code }));
}

function json(res, code, obj) {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify(obj));
}

function selects(selector, labels) {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return v === undefined ? labels && k in labels : labels && labels[k] === v;
  });
}

// ---- garbage collection: ownerReferences -----------------------------------

function dependents(uid) {
  return store.all().filter((o) => (o.metadata.ownerReferences || []).some((r) => r.uid === uid));
}

// After `obj` is gone: dependents of a background or foreground deletion go too.
function collect(obj) {
  for (const d of dependents(obj.metadata.uid)) remove(resourceOf(d), d, {});
}

const resourceOf = (o) => Object.keys(kindOf).find((r) => kindOf[r] === o.kind);

// The owner in foreground deletion goes once its last dependent has gone.
function settleOwners() {
  for (const o of store.all()) {
    const fin = o.metadata.finalizers || [];
    if (o.metadata.deletionTimestamp && fin.includes("foregroundDeletion") && dependents(o.metadata.uid).length === 0)
      store.remove(resourceOf(o), o);
  }
}

function remove(resource, obj, q) {
  if (obj.metadata.deletionTimestamp && resource !== "pods") return;
  if (q.propagationPolicy === "Foreground") {
    obj.metadata.deletionTimestamp = new Date().toISOString();
    obj.metadata.finalizers = [...(obj.metadata.finalizers || []), "foregroundDeletion"];
    store.update(resource, obj);
    for (const d of dependents(obj.metadata.uid)) remove(resourceOf(d), d, {});
    settleOwners();
    return;
  }
  if (resource === "pods") {
    const grace = q.gracePeriodSeconds !== undefined ? Number(q.gracePeriodSeconds)
      : (obj.spec.terminationGracePeriodSeconds ?? 30);
    if (!obj.metadata.deletionTimestamp) {
      obj.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString();
      obj.metadata.deletionGracePeriodSeconds = grace;
      store.update(resource, obj);
    }
    kubelet.kill(obj, grace).then(() => { store.remove("pods", obj); settleOwners(); });
    return;
  }
  store.remove(resource, obj);
  settleOwners();
}

// ---- handlers --------------------------------------------------------------

function quotaRefusal(ns, obj) {
  for (const q of store.list("resourcequotas", ns)) {
    const hard = (q.spec && q.spec.hard) || {};
    const pods = store.list("pods", ns).filter((p) => !p.metadata.deletionTimestamp).length;
    if (hard.pods !== undefined && pods + 1 > Number(hard.pods))
      return `pods "${obj.metadata.name}" is forbidden: exceeded quota: ${q.metadata.name}, requested: pods=1, used: pods=${pods}, limited: pods=${hard.pods}`;
  }
  return null;
}

function create(res, resource, ns, obj) {
  const problems = check(obj);
  if (obj.metadata && obj.metadata.namespace && obj.metadata.namespace !== ns)
    problems.push("metadata.namespace: does not match the namespace of the request");
  if (problems.length)
    return status(res, 422, "Invalid", `${obj.kind} "${obj.metadata && obj.metadata.name}" is invalid: ${problems.join(", ")}`,
      { name: obj.metadata && obj.metadata.name, kind: resource });
  const name = obj.metadata.name;
  created.push(clone(obj));
  if (store.get(resource, ns, name))
    return status(res, 409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });
  const refusal = resource === "pods" && quotaRefusal(ns, obj);
  if (refusal) return status(res, 403, "Forbidden", refusal, { name, kind: resource });
  json(res, 201, insert(resource, ns, obj));
  if (resource === "pods") kubelet.run(obj);
  if (resource === "jobs") startJob(obj);
}

// Stores a new object, checked and free to take.
function insert(resource, ns, obj) {
  obj.metadata.namespace = ns;
  obj.metadata.uid = crypto.randomUUID();
  obj.metadata.creationTimestamp = new Date().toISOString();
  if (resource === "pods") obj.status = { phase: "Pending", conditions: [] };
  if (resource === "persistentvolumeclaims") obj.status = { phase: "Bound" };
  if (resource === "jobs") obj.status = {};
  bump(obj);
  objects.set(keyOf(resource, ns, obj.metadata.name), obj);
  emit(resource, "ADDED", obj);
  return obj;
}

// ---- the Job controller ------------------------------------------------------

// The Job's one Pod, named and labelled as the Job controller does.
function startJob(job) {
  const t = clone(job.spec.template);
  const uid = job.metadata.uid;
  const labels = { ...(t.metadata || {}).labels, "controller-uid": uid, "job-name": job.metadata.name };
  const pod = { apiVersion: "v1", kind: "Pod",
    metadata: { ...(t.metadata || {}), name: `${job.metadata.name}-${uid.slice(0, 5)}`, labels,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name, uid, controller: true, blockOwnerDeletion: true }] },
    spec: t.spec };
  created.push(clone(pod));
  insert("pods", job.metadata.namespace, pod);
  job.status = { active: 1, startTime: new Date().toISOString() };
  store.update("jobs", job);
  kubelet.run(pod);
}

// After a change to `pod`: the status of the Job that owns it.
function jobFollows(pod) {
  const ref = (pod.metadata.ownerReferences || []).find((r) => r.kind === "Job");
  const job = ref && store.get("jobs", pod.metadata.namespace, ref.name);
  const phase = pod.status.phase;
  if (!job || job.metadata.uid !== ref.uid || (phase !== "Succeeded" && phase !== "Failed") || !job.status.active) return;
  const now = new Date().toISOString();
  const done = phase === "Succeeded";
  job.status = { startTime: job.status.startTime, completionTime: done ? now : undefined,
    [done ? "succeeded" : "failed"]: 1,
    conditions: [{ type: done ? "Complete" : "Failed", status: "True", reason: done ? undefined : "BackoffLimitExceeded",
      lastProbeTime: now, lastTransitionTime: now }] };
  store.update("jobs", job);
}

function list(res, resource, ns, q) {
  const items = store.list(resource, ns).filter((o) => selects(q.labelSelector, o.metadata.labels));
  json(res, 200, { kind: `${kindOf[resource]}List`, apiVersion: groupOf(resource), metadata: { resourceVersion: String(rv) }, items });
}

function watch(req, res, resource, ns, q) {
  const from = Number(q.resourceVersion || rv);
  res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
  const line = (o) => res.write(JSON.stringify(o) + "\n");
  if ((events.length && from < events[0].rv - 1 && from < rv) || from < expiredBelow) {
    line({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired",
      message: `too old resource version: ${from} (${events[0].rv - 1})` } });
    return res.end();
  }
  let last = from;
  const w = {
    expire() {
      line({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired",
        message: `too old resource version: ${last} (${rv})` } });
      res.end();
    },
    send(ev) {
      if (ev.rv <= last || ev.resource !== resource || ev.ns !== ns || !selects(q.labelSelector, ev.object.metadata.labels)) return;
      last = ev.rv;
      line({ type: ev.type, object: ev.object });
    },
  };
  for (const ev of events) w.send(ev);
  watchers.add(w);
  const bookmarks = q.allowWatchBookmarks === "true" && setInterval(() => {
    if (rv > last) line({ type: "BOOKMARK", object: { kind: kindOf[resource], apiVersion: "v1", metadata: { resourceVersion: String(rv) } } });
  }, BOOKMARK_MS);
  const seconds = Math.min(Number(q.timeoutSeconds || WATCH_SECONDS), WATCH_SECONDS);
  const timer = setTimeout(() => res.end(), seconds * 1000);
  const done = () => { watchers.delete(w); clearInterval(bookmarks); clearTimeout(timer); };
  res.on("close", done);
  res.on("finish", done);
}

function patch(res, resource, ns, name, body) {
  const obj = store.get(resource, ns, name);
  if (!obj) return status(res, 404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
  const merge = (a, b) => {
    for (const [k, v] of Object.entries(b)) {
      if (v === null) delete a[k];
      else if (v && typeof v === "object" && !Array.isArray(v) && a[k] && typeof a[k] === "object") merge(a[k], v);
      else a[k] = v;
    }
  };
  const next = clone(obj);
  merge(next, body);
  const problems = check(next);
  if (problems.length) return status(res, 422, "Invalid", `${obj.kind} "${name}" is invalid: ${problems.join(", ")}`);
  Object.assign(obj, next);
  store.update(resource, obj);
  json(res, 200, obj);
}

function evict(res, ns, name) {
  const pod = store.get("pods", ns, name);
  if (!pod) return status(res, 404, "NotFound", `pods "${name}" not found`);
  kubelet.evict(pod);
  json(res, 201, { kind: "Status", apiVersion: "v1", status: "Success", code: 201 });
}

function route(req, res, body) {
  const url = new URL(req.url, "http://x");
  const q = Object.fromEntries(url.searchParams);
  const p = url.pathname.split("/").filter(Boolean);
  if (url.pathname === "/version") return json(res, 200, { major: "1", minor: "30", gitVersion: "v1.30.0-fake" });
  if (url.pathname === "/fake/requests") return json(res, 200, counts);
  if (url.pathname === "/fake/created") return json(res, 200, created);
  if (url.pathname === "/fake/expire") {
    // As when etcd compacts: every open watch ends with 410 Gone and no
    // resourceVersion seen so far can start one; a client re-lists.
    expiredBelow = rv;
    events.length = 0;
    for (const w of [...watchers]) w.expire();
    return json(res, 200, { expiredBelow });
  }
  if (url.pathname === "/fake/stall") {
    stalls[q.resource] = Number(q.seconds || 0);
    return json(res, 200, stalls);
  }
  if (url.pathname === "/fake/stalled") return json(res, 200, { stalled });
  if (url.pathname === "/fake/objects") return json(res, 200, store.all().map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`));
  if (p[0] === "apis" && p[1] === "batch" && p[2] === "v1") p.splice(0, 3, "api", "batch/v1");
  if (p[0] !== "api" || p[2] !== "namespaces" || !kindOf[p[4]] || p[1] !== groupOf(p[4]))
    return status(res, 404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
  const [ns, resource, name, sub] = [p[3], p[4], p[5], p[6]];
  const verb = req.method !== "GET" ? req.method : sub === "log" ? "LOG" : name ? "GET"
    : q.watch === "true" || q.watch === "1" ? "WATCH" : "LIST";
  counts[verb] = (counts[verb] || 0) + 1;
  let obj;
  try { obj = body.length ? JSON.parse(body) : null; } catch (e) { return status(res, 400, "BadRequest", `invalid JSON: ${e.message}`); }
  if (req.method === "POST" && !name && stalls[resource]) {
    stalled++;
    let hungUp = false;
    res.on("close", () => { hungUp = true; });
    return setTimeout(() => { if (!hungUp) create(res, resource, ns, obj); }, stalls[resource] * 1000);
  }
  if (req.method === "POST" && !name) return create(res, resource, ns, obj);
  if (req.method === "GET" && !name) return q.watch === "true" || q.watch === "1" ? watch(req, res, resource, ns, q) : list(res, resource, ns, q);
  if (req.method === "POST" && sub === "eviction") return evict(res, ns, name);
  const found = store.get(resource, ns, name);
  if (!found) return status(res, 404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
  if (req.method === "GET" && sub === "log") return kubelet.logs(found, q, res, status);
  if (req.method === "GET") return json(res, 200, found);
  if (req.method === "PATCH") return patch(res, resource, ns, name, obj || {});
  if (req.method === "DELETE") {
    remove(resource, found, q);
    return json(res, 200, { kind: "Status", apiVersion: "v1", status: "Success", details: { name, kind: resource, uid: found.metadata.uid } });
  }
  status(res, 405, "MethodNotAllowed", `${req.method} is not supported here`);
}

function authorized(req) {
  if (!args.token) return true;
  if (req.socket.authorized) return true;   // a client certificate signed by --client-ca
  return req.headers.authorization === `Bearer ${args.token}`;
}

function handle(req, res) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (!authorized(req)) return status(res, 401, "Unauthorized", "Unauthorized");
    try { route(req, res, Buffer.concat(chunks)); } catch (e) {
      console.error(e);
      status(res, 500, "InternalError", String(e.message));
    }
  });
}

const kubelet = new Kubelet({ socket: args.docker, state: args.state, store, memory: Number(args.memory || 8 * 2 ** 30) });

const server = args.tls
  ? https.createServer({ cert: fs.readFileSync(args.tls[0]), key: fs.readFileSync(args.tls[1]),
    ca: args["client-ca"] ? fs.readFileSync(args["client-ca"]) : undefined,
    requestCert: !!args["client-ca"], rejectUnauthorized: false }, handle)
  : http.createServer(handle);
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(args["port-file"], String(server.address().port));
});
const stop = () => kubelet.shutdown().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
