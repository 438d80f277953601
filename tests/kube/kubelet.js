// kubelet.js - the fake API server's node: runs each Pod's containers on a
// Docker engine (the test suite's private dockerd) and writes what happens
// into the Pod's status the way a kubelet does.
//
// Scheduling checks nodeSelector and memory requests against one node
// ("fake-node", --memory bytes).  Volumes become host folders bind-mounted
// into the containers (a claim a folder per claim, an emptyDir one per Pod,
// a ConfigMap its keys written out, hostPath itself; medium Memory a tmpfs),
// subPath a folder below.  Containers of one Pod share the network of a
// pause container when there are several; a lone container joins the
// namespace's network directly, with the names of the Services selecting it
// as DNS aliases; hostAliases and dnsConfig are the engine's extra hosts and
// DNS settings.  Init containers run in order (restartPolicy Always ones
// are sidecars left running, the next init container waiting for a
// sidecar's startupProbe), then the containers.  $(VAR) in command, args
// and env values is expanded as Kubernetes does.  Exit codes and OOMKilled
// come from the engine; an image the engine lacks is pulled with the
// credentials of the Pod's imagePullSecrets for its registry, else it is
// ErrImagePull then ImagePullBackOff; an eviction ends the Pod with reason Evicted.
"use strict";
const fs = require("fs");
const http = require("http");
const path = require("path");

const NODE_LABELS = { "kubernetes.io/hostname": "fake-node", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
const PAUSE_IMAGE = process.env.FAKE_PAUSE_IMAGE || "busybox";

function quantity(q) {
  if (q === undefined) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q));
  if (!m) return 0;
  const mult = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, m: 1e-3 }[m[2]];
  return Number(m[1]) * (mult ?? 1);
}

// Kubernetes' $(VAR) expansion: $$ is a '$', $(NAME) a defined variable.
function expand(s, env) {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "$" || i + 1 >= s.length) { out += s[i]; continue; }
    if (s[i + 1] === "$") { out += "$"; i++; continue; }
    if (s[i + 1] === "(") {
      const end = s.indexOf(")", i + 2);
      if (end > 0) {
        const name = s.slice(i + 2, end);
        out += name in env ? env[name] : `$(${name})`;
        i = end;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

class Kubelet {
  constructor({ socket, state, store, memory }) {
    this.socket = socket;
    this.state = state;
    this.store = store;
    this.memory = memory;
    this.pods = new Map();      // uid -> {ids: {container: id}, pause, killed, done}
    this.networks = new Map();  // ns -> Promise of the network's name
  }

  // ---- the engine ----------------------------------------------------------

  docker(method, p, body, extra) {
    return new Promise((resolve, reject) => {
      const data = body ? JSON.stringify(body) : null;
      const headers = data ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) } : {};
      const req = http.request({ socketPath: this.socket, method, path: p, headers: { ...headers, ...extra } }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let j = null;
          try { j = text ? JSON.parse(text) : null; } catch (e) { j = null; }
          resolve({ status: res.statusCode, json: j, text });
        });
      });
      req.on("error", reject);
      if (data) req.write(data);
      req.end();
    });
  }

  network(ns) {
    if (!this.networks.has(ns)) {
      const name = `pipec-fake-${ns}-${process.pid}`;
      this.networks.set(ns, this.docker("POST", "/networks/create", { Name: name, Driver: "bridge", Labels: { "pipec-fake": "1" } }).then(() => name));
    }
    return this.networks.get(ns);
  }

  // ---- status --------------------------------------------------------------

  setContainer(pod, c, init, state, ready, imageID) {
    const key = init ? "initContainerStatuses" : "containerStatuses";
    const list = pod.status[key] = pod.status[key] || [];
    let s = list.find((x) => x.name === c.name);
    if (!s) list.push(s = { name: c.name, image: c.image, imageID: "", restartCount: 0, ready: false, started: false });
    s.state = state;
    s.ready = !!ready;
    s.started = !!state.running;
    if (imageID) s.imageID = imageID;
    this.conditions(pod);
    this.store.update("pods", pod);
  }

  conditions(pod) {
    const st = pod.status;
    const main = pod.spec.containers.map((c) => (st.containerStatuses || []).find((s) => s.name === c.name));
    const ready = main.every((s) => s && s.ready && s.state.running);
    const set = (type, ok, reason, message) => {
      st.conditions = (st.conditions || []).filter((c) => c.type !== type);
      st.conditions.push({ type, status: ok ? "True" : "False", reason, message, lastTransitionTime: new Date().toISOString() });
    };
    set("Ready", ready, ready ? undefined : "ContainersNotReady");
    set("ContainersReady", ready, ready ? undefined : "ContainersNotReady");
    if (main.some((s) => s && (s.state.running || s.state.terminated)) && st.phase === "Pending") st.phase = "Running";
  }

  // ---- scheduling and volumes -------------------------------------------------

  unschedulable(pod) {
    const sel = pod.spec.nodeSelector || {};
    if (Object.entries(sel).some(([k, v]) => NODE_LABELS[k] !== v))
      return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    const want = [...(pod.spec.initContainers || []), ...pod.spec.containers].reduce((sum, c) => {
      const r = c.resources || {};
      return sum + quantity((r.requests || {}).memory ?? (r.limits || {}).memory);
    }, 0);
    if (want > this.memory)
      return "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    return null;
  }

  volumeDir(pod, v) {
    const ns = pod.metadata.namespace;
    if (v.persistentVolumeClaim) {
      if (!this.store.get("persistentvolumeclaims", ns, v.persistentVolumeClaim.claimName))
        throw new Error(`persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
      return path.join(this.state, "pvc", ns, v.persistentVolumeClaim.claimName);
    }
    if (v.hostPath) return v.hostPath.path;
    const dir = path.join(this.state, "pods", pod.metadata.uid, v.name);
    if (v.configMap) {
      const cm = this.store.get("configmaps", ns, v.configMap.name);
      if (!cm) throw new Error(`configmap "${v.configMap.name}" not found`);
      fs.mkdirSync(dir, { recursive: true });
      const all = { ...(cm.data || {}) };
      for (const [k, b] of Object.entries(cm.binaryData || {})) all[k] = Buffer.from(b, "base64");
      const items = v.configMap.items || Object.keys(all).map((key) => ({ key, path: key }));
      for (const it of items) {
        const f = path.join(dir, it.path);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, all[it.key] ?? "");
        fs.chmodSync(f, it.mode ?? v.configMap.defaultMode ?? 0o644);
      }
    }
    return dir;
  }

  mounts(pod, c) {
    const binds = [], tmpfs = {};
    for (const m of c.volumeMounts || []) {
      const v = (pod.spec.volumes || []).find((x) => x.name === m.name);
      if (v.emptyDir && v.emptyDir.medium === "Memory") {
        tmpfs[m.mountPath] = v.emptyDir.sizeLimit ? `size=${quantity(v.emptyDir.sizeLimit)}` : "";
        continue;
      }
      let src = this.volumeDir(pod, v);
      if (m.subPath) src = path.join(src, m.subPath);
      if (!fs.existsSync(src)) fs.mkdirSync(src, { recursive: true });
      if (v.hostPath && v.hostPath.type === "DirectoryOrCreate") fs.mkdirSync(src, { recursive: true });
      binds.push(`${src}:${m.mountPath}${m.readOnly ? ":ro" : ""}`);
    }
    return { binds, tmpfs };
  }

  env(pod, c) {
    const env = {};
    for (const e of c.env || []) {
      if (e.value !== undefined) { env[e.name] = expand(e.value, env); continue; }
      const ref = e.valueFrom && e.valueFrom.secretKeyRef;
      if (!ref) continue;
      const s = this.store.get("secrets", pod.metadata.namespace, ref.name);
      if (!s) throw Object.assign(new Error(`secret "${ref.name}" not found`), { reason: "CreateContainerConfigError" });
      if (!(ref.key in (s.data || {})))
        throw Object.assign(new Error(`couldn't find key ${ref.key} in Secret ${pod.metadata.namespace}/${ref.name}`), { reason: "CreateContainerConfigError" });
      env[e.name] = Buffer.from(s.data[ref.key], "base64").toString();
    }
    return env;
  }

  aliases(pod) {
    return this.store.list("services", pod.metadata.namespace)
      .filter((s) => s.spec && s.spec.selector && Object.entries(s.spec.selector).every(([k, v]) => (pod.metadata.labels || {})[k] === v))
      .map((s) => s.metadata.name);
  }

  extraHosts(pod) {
    return (pod.spec.hostAliases || []).flatMap((a) => a.hostnames.map((h) => `${h}:${a.ip}`));
  }

  // The Pod's network settings a container (or the pause container) is made with.
  podNetwork(pod, net) {
    const dns = pod.spec.dnsConfig || {};
    return {
      HostConfig: {
        NetworkMode: net, ExtraHosts: this.extraHosts(pod), Dns: dns.nameservers, DnsSearch: dns.searches,
        DnsOptions: dns.options && dns.options.map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name)),
      },
      NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: this.aliases(pod) } } },
    };
  }

  // ---- containers ---------------------------------------------------------------

  async config(pod, c, state) {
    const env = this.env(pod, c);
    const { binds, tmpfs } = this.mounts(pod, c);
    const limits = (c.resources && c.resources.limits) || {};
    const sc = c.securityContext || {};
    const cfg = {
      Image: c.image,
      Entrypoint: c.command ? c.command.map((a) => expand(a, env)) : undefined,
      Cmd: c.args ? c.args.map((a) => expand(a, env)) : c.command ? [] : undefined,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      WorkingDir: c.workingDir,
      User: sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? ":" + sc.runAsGroup : ""}` : undefined,
      Labels: { "pipec-fake": "1", "pipec-fake.pod": pod.metadata.uid },
      HostConfig: {
        Binds: binds, Tmpfs: tmpfs, Privileged: !!sc.privileged,
        Memory: limits.memory ? quantity(limits.memory) : 0,
        NanoCpus: limits.cpu ? Math.round(quantity(limits.cpu) * 1e9) : 0,
      },
    };
    if (state.pause) {
      cfg.HostConfig.NetworkMode = `container:${state.pause}`;
    } else {
      const n = this.podNetwork(pod, await this.network(pod.metadata.namespace));
      Object.assign(cfg.HostConfig, n.HostConfig);
      cfg.NetworkingConfig = n.NetworkingConfig;
    }
    return cfg;
  }

  async startPause(pod, state) {
    const r = await this.docker("POST", "/containers/create", {
      Image: PAUSE_IMAGE, Entrypoint: ["/bin/sleep"], Cmd: ["2147483647"],
      Labels: { "pipec-fake": "1", "pipec-fake.pod": pod.metadata.uid },
      ...this.podNetwork(pod, await this.network(pod.metadata.namespace)),
    });
    if (r.status !== 201) throw new Error(`pause container: ${r.text}`);
    state.pause = r.json.Id;
    await this.docker("POST", `/containers/${state.pause}/start`);
  }

  waiting(pod, c, init, reason, message) {
    this.setContainer(pod, c, init, { waiting: { reason, message } }, false);
  }

  async imageID(image) {
    const r = await this.docker("GET", `/images/${encodeURIComponent(image)}/json`);
    return r.status === 200 ? `docker-pullable://${image}@${r.json.Id}` : null;
  }

  // The credentials the Pod's imagePullSecrets (kubernetes.io/dockerconfigjson
  // Secrets of its namespace) hold for the registry of `image`, as the
  // engine's X-Registry-Auth; null when none names it.
  registryAuth(pod, image) {
    const slash = image.indexOf("/");
    const domain = slash > 0 && /[.:]/.test(image.slice(0, slash)) ? image.slice(0, slash) : null;
    if (!domain) return null;
    for (const ref of pod.spec.imagePullSecrets || []) {
      const s = this.store.get("secrets", pod.metadata.namespace, ref.name);
      if (!s || s.type !== "kubernetes.io/dockerconfigjson" || !s.data) continue;
      const auths = JSON.parse(Buffer.from(s.data[".dockerconfigjson"], "base64").toString()).auths || {};
      const key = Object.keys(auths).find((k) => k.replace(/^https?:\/\//, "").replace(/\/.*$/, "") === domain);
      if (!key) continue;
      const [username, ...rest] = Buffer.from(auths[key].auth, "base64").toString().split(":");
      return Buffer.from(JSON.stringify({ username, password: rest.join(":"), serveraddress: domain })).toString("base64");
    }
    return null;
  }

  // The image's ID, pulled first with the Pod's credentials when the engine lacks it.
  async pullImage(pod, image) {
    const have = await this.imageID(image);
    const auth = have ? null : this.registryAuth(pod, image);
    if (!auth) return have;
    const colon = image.lastIndexOf(":");
    const [name, tag] = colon > image.lastIndexOf("/") ? [image.slice(0, colon), image.slice(colon + 1)] : [image, "latest"];
    await this.docker("POST", `/images/create?fromImage=${encodeURIComponent(name)}&tag=${encodeURIComponent(tag)}`,
      null, { "X-Registry-Auth": auth });
    return this.imageID(image);
  }

  // Runs one container to its end: its exit code, or null when it never ran.
  async runContainer(pod, c, init, state) {
    if (state.killed) return null;
    const imageID = await this.pullImage(pod, c.image);
    if (!imageID) {
      this.waiting(pod, c, init, "ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`);
      setTimeout(() => { if (!state.killed) this.waiting(pod, c, init, "ImagePullBackOff", `Back-off pulling image "${c.image}"`); }, 1000);
      return null;
    }
    let cfg;
    try { cfg = await this.config(pod, c, state); } catch (e) {
      this.waiting(pod, c, init, e.reason || "CreateContainerConfigError", e.message);
      return null;
    }
    const r = await this.docker("POST", "/containers/create", cfg);
    if (r.status !== 201) { this.waiting(pod, c, init, "CreateContainerError", r.text.trim()); return null; }
    const id = state.ids[c.name] = r.json.Id;
    if (state.killed) return null;
    const s = await this.docker("POST", `/containers/${id}/start`);
    if (Math.floor(s.status / 100) !== 2) {
      // restartPolicy Never: a container that cannot start has ended
      const now = new Date().toISOString();
      this.setContainer(pod, c, init, { terminated: { exitCode: 128, reason: "StartError", message: s.text.trim(), startedAt: now, finishedAt: now } }, false);
      return 128;
    }
    const startedAt = new Date().toISOString();
    state.running.add(c.name);
    this.setContainer(pod, c, init, { running: { startedAt } }, !c.readinessProbe, imageID);
    if (c.readinessProbe) this.probe(pod, c, init, id, state, startedAt);
    await this.docker("POST", `/containers/${id}/wait`);
    const info = (await this.docker("GET", `/containers/${id}/json`)).json || { State: {} };
    const code = info.State.ExitCode ?? 137;
    const reason = info.State.OOMKilled ? "OOMKilled" : code === 0 ? "Completed" : "Error";
    this.setContainer(pod, c, init, { terminated: { exitCode: code, reason, startedAt, finishedAt: new Date().toISOString() } }, false);
    return code;
  }

  // One try of probe `p` in container `id`.
  async tryProbe(id, p) {
    const cmd = p.exec ? p.exec.command : ["sh", "-c", `nc -z 127.0.0.1 ${p.tcpSocket.port}`];
    const e = await this.docker("POST", `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
    if (e.status !== 201) return false;
    await this.docker("POST", `/exec/${e.json.Id}/start`, { Detach: false, Tty: false });
    const i = await this.docker("GET", `/exec/${e.json.Id}/json`);
    return !!(i.json && i.json.ExitCode === 0);
  }

  // A sidecar with a startupProbe holds the next init container until it
  // passes, or until failureThreshold tries failed (a kubelet would then
  // restart the sidecar; here the Pod goes on).
  async started(c, state) {
    const p = c.startupProbe;
    if (!p) return;
    const period = (p.periodSeconds || 10) * 1000;
    for (let n = 0; n < (p.failureThreshold || 3) && !state.killed && !state.ended.has(c.name); ) {
      const id = state.ids[c.name];
      if (id && state.running.has(c.name)) {
        if (await this.tryProbe(id, p)) return;
        n++;
      }
      await new Promise((r) => setTimeout(r, id ? Math.min(period, 500) : 100));
    }
  }

  async probe(pod, c, init, id, state, startedAt) {
    const p = c.readinessProbe;
    const period = (p.periodSeconds || 10) * 1000;
    let ready = false;
    while (!state.killed && !state.ended.has(c.name)) {
      const ok = await this.tryProbe(id, p);
      if (ok !== ready && !state.ended.has(c.name) && !state.killed) {
        ready = ok;
        this.setContainer(pod, c, init, { running: { startedAt } }, ready);
      }
      await new Promise((r) => setTimeout(r, ready ? period : Math.min(period, 500)));
    }
  }

  // ---- a Pod's life ---------------------------------------------------------------

  async run(pod) {
    const state = { ids: {}, pause: null, killed: false, ended: new Set(), running: new Set(), sidecars: [] };
    this.pods.set(pod.metadata.uid, state);
    state.done = this.live(pod, state).catch((e) => console.error("pod", pod.metadata.name, e));
  }

  async live(pod, state) {
    const why = this.unschedulable(pod);
    pod.status.conditions = [{ type: "PodScheduled", status: why ? "False" : "True", reason: why ? "Unschedulable" : undefined, message: why || undefined }];
    if (why) return this.store.update("pods", pod);
    pod.spec.nodeName = "fake-node";
    this.store.update("pods", pod);
    const all = [...(pod.spec.initContainers || []), ...pod.spec.containers];
    if (all.length > 1) await this.startPause(pod, state);
    for (const c of pod.spec.initContainers || []) {
      if (c.restartPolicy === "Always") {
        state.sidecars.push(this.runContainer(pod, c, true, state).then(() => state.ended.add(c.name)));
        await this.started(c, state);
        continue;
      }
      const code = await this.runContainer(pod, c, true, state);
      state.ended.add(c.name);
      if (code !== 0) return this.end(pod, state, code === null ? null : "Failed");
    }
    const codes = await Promise.all(pod.spec.containers.map(async (c) => {
      const code = await this.runContainer(pod, c, false, state);
      state.ended.add(c.name);
      return code;
    }));
    if (codes.some((c) => c === null)) return;
    this.end(pod, state, codes.every((c) => c === 0) ? "Succeeded" : "Failed");
  }

  async end(pod, state, phase) {
    for (const id of Object.values(state.ids)) await this.docker("POST", `/containers/${id}/kill`);
    if (phase && !state.killed) {
      pod.status.phase = phase;
      this.store.update("pods", pod);
    }
  }

  // Stops the Pod's containers (SIGTERM, SIGKILL after `grace` s) and removes them.
  async kill(pod, grace) {
    const state = this.pods.get(pod.metadata.uid);
    if (!state) return;
    state.killed = true;
    await Promise.all(Object.values(state.ids).map((id) => this.docker("POST", `/containers/${id}/stop?t=${grace}`)));
    await Promise.race([state.done, new Promise((r) => setTimeout(r, (grace + 5) * 1000))]);
    for (const id of [...Object.values(state.ids), state.pause].filter(Boolean))
      await this.docker("DELETE", `/containers/${id}?force=1&v=1`);
    fs.rmSync(path.join(this.state, "pods", pod.metadata.uid), { recursive: true, force: true });
    this.pods.delete(pod.metadata.uid);
  }

  async evict(pod) {
    const state = this.pods.get(pod.metadata.uid);
    if (!state) return;
    await Promise.all(Object.values(state.ids).map((id) => this.docker("POST", `/containers/${id}/kill`)));
    await state.done;
    state.killed = true;
    pod.status.phase = "Failed";
    pod.status.reason = "Evicted";
    pod.status.message = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 42Mi.";
    this.store.update("pods", pod);
  }

  // ---- logs ---------------------------------------------------------------------------

  logs(pod, q, res, status) {
    const state = this.pods.get(pod.metadata.uid);
    const names = [...(pod.spec.initContainers || []), ...pod.spec.containers].map((c) => c.name);
    const name = q.container || (names.length === 1 ? names[0] : null);
    if (!name || !names.includes(name))
      return status(res, 400, "BadRequest", `container ${name} is not valid for pod ${pod.metadata.name}`);
    const id = state && state.ids[name];
    if (!id)
      return status(res, 400, "BadRequest", `container "${name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
    const follow = q.follow === "true" || q.follow === "1";
    const req = http.request({ socketPath: this.socket, method: "GET",
      path: `/containers/${id}/logs?stdout=1&stderr=1${follow ? "&follow=1" : ""}` }, (dres) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
      let buf = Buffer.alloc(0);
      dres.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 8 && buf.length >= 8 + buf.readUInt32BE(4)) {
          const n = buf.readUInt32BE(4);
          res.write(buf.subarray(8, 8 + n));
          buf = buf.subarray(8 + n);
        }
      });
      dres.on("end", () => res.end());
    });
    req.on("error", () => res.end());
    res.on("close", () => req.destroy());
    req.end();
  }

  async shutdown() {
    const r = await this.docker("GET", `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: ["pipec-fake"] }))}`);
    for (const c of r.json || []) await this.docker("DELETE", `/containers/${c.Id}?force=1&v=1`);
    for (const n of this.networks.values()) await this.docker("DELETE", `/networks/${await n}`);
  }
}

module.exports = { Kubelet };
