"""Compares a pipeline of pipec's IR with the same pipeline read back from
its drone-runtime emission: python3 tests/emit_roundtrip.py A.json NAME B.json

A.json is `pipec build` of the input (normalized), B.json `pipec build` of
`pipec emit --format=drone-runtime --pipeline=NAME`.  The comparison is the
IR as a run sees it, with the mapping docs/emit.md documents applied to A:
a pipeline's environment merged into each step's, the workspace
only when every step works in it, a script as `shell -c
script`, an empty argv as the image's, steps without depends_on chained,
what the format drops (retries, timeouts, health checks, artifacts, shm)
left out, imageless steps given the exec image.  Prints each difference
and exits 1 when there is one."""
import json
import sys

DROPPED = ("retries", "timeout", "health", "exports", "imports", "source", "clone")


def step_view(p, s, chain_prev):
    env = dict(p.get("environment", {}))
    env.update(s.get("environment", {}))
    v = {k: val for k, val in s.items() if k not in DROPPED}
    v["environment"] = env
    v.setdefault("image", "busybox")
    if "script" in v:
        v["entrypoint"] = [v.pop("shell", "/bin/sh"), "-c"]
        v["command"] = [v.pop("script")]
    for k in ("entrypoint", "command"):
        if v.get(k) == []:
            del v[k]
    res = dict(v.get("resources", {}))
    res.pop("shm_size", None)
    if res:
        v["resources"] = res
    else:
        v.pop("resources", None)
    if chain_prev is not None:
        v["depends_on"] = [chain_prev]
    v["depends_on"] = sorted(v.get("depends_on", []))
    if not v["depends_on"]:
        del v["depends_on"]
    v["volumes"] = [m for m in v.get("volumes", []) if m.get("name") != "drone_workspace"]
    if not v["volumes"]:
        del v["volumes"]
    v.pop("working_dir", None)
    return v


def workspace(p):
    """The importer derives the workspace only when every step works in it."""
    ws = p.get("workspace")
    if ws is None:
        return None
    wd = ws["base"] + ("/" + ws["path"] if ws.get("path") else "")
    if any(s.get("working_dir", wd) != wd for s in p.get("steps", [])):
        return None
    return ws


def pipeline_view(p):
    steps = p.get("steps", [])
    serial = not any("depends_on" in s for s in steps)
    out = {}
    for i, s in enumerate(steps):
        prev = steps[i - 1]["name"] if serial and i > 0 else None
        out[s["name"]] = step_view(p, s, prev)
    return {
        "secrets": sorted(s["name"] for s in p.get("secrets", [])),
        "volumes": sorted((v["name"], json.dumps(v, sort_keys=True))
                          for v in (dict(x, source=None, position=None) for x in p.get("volumes", []))
                          if v["name"] != "drone_workspace"),
        "files": sorted(f["name"] for f in p.get("files", [])),
        "workspace": workspace(p),
        "steps": out,
    }


def main():
    a = json.load(open(sys.argv[1]))
    b = json.load(open(sys.argv[3]))
    pa = next(p for p in a["pipelines"] if p["name"] == sys.argv[2])
    pb = b["pipelines"][0]
    va, vb = pipeline_view(pa), pipeline_view(pb)
    bad = 0
    for k in ("secrets", "volumes", "files", "workspace"):
        if va[k] != vb[k]:
            print("#   %s: %r != %r" % (k, va[k], vb[k]))
            bad = 1
    if sorted(va["steps"]) != sorted(vb["steps"]):
        print("#   steps: %r != %r" % (sorted(va["steps"]), sorted(vb["steps"])))
        return 1
    for name, sa in va["steps"].items():
        sb = vb["steps"][name]
        for k in sorted(set(sa) | set(sb)):
            if sa.get(k) != sb.get(k):
                print("#   step %s %s: %r != %r" % (name, k, sa.get(k), sb.get(k)))
                bad = 1
    return bad


sys.exit(main())
