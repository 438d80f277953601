"""Applies the objects of a YAML stream (ConfigMaps, Secrets, Jobs: what
`pipec emit --format=kube` writes) to a Kubernetes API server, waits for
each Job to end, prints what its Pod's containers did, and deletes what it
applied, waiting until it is gone:

python3 tests/kube/run_jobs.py URL TOKEN NAMESPACE FILE [TIMEOUT]

Each step is printed as `[pipec] step NAME: STATUS`, as an emitted script
prints it: a container that exited 0 is a success, another exit a failure,
one that never started skipped; a sidecar (an init container with
restartPolicy Always, a service) a success once it started, as the Pod
stops it when the steps end.  Then `[pipec] job NAME: Complete|Failed`.  Exits 0
when every Job completed, 1 when one failed, 2 when something went wrong
(a refused object, no end within TIMEOUT seconds, default 300)."""
import json
import sys
import time
import urllib.error
import urllib.request

import yaml


def call(method, path, body=None):
    req = urllib.request.Request(URL + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as res:
            return res.status, json.load(res)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def collection(obj):
    group = "/apis/batch/v1" if obj["apiVersion"] == "batch/v1" else "/api/v1"
    return "%s/namespaces/%s/%ss" % (group, NS, obj["kind"].lower())


def results(pod):
    spec, st = pod["spec"], pod.get("status", {})
    seen = {s["name"]: s for s in st.get("initContainerStatuses", []) + st.get("containerStatuses", [])}
    for c in spec.get("initContainers", []) + spec["containers"]:
        state = seen.get(c["name"], {}).get("state", {})
        code = state.get("terminated", {}).get("exitCode")
        if c.get("restartPolicy") == "Always":
            status = "success" if state else "skipped"
        else:
            status = "skipped" if code is None else "success" if code == 0 else "failure"
        print("[pipec] step %s: %s" % (c["name"], status))


def wait_job(name):
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        code, job = call("GET", "/apis/batch/v1/namespaces/%s/jobs/%s" % (NS, name))
        ends = [c["type"] for c in job.get("status", {}).get("conditions", [])
                if c["type"] in ("Complete", "Failed") and c["status"] == "True"]
        if code == 200 and ends:
            return job, ends[0]
        time.sleep(0.2)
    return None, None


def main():
    applied, outcome = [], 0
    for obj in yaml.safe_load_all(open(FILE)):
        if not obj:
            continue
        code, body = call("POST", collection(obj), obj)
        if code != 201:
            print("# %s %s refused: %s" % (obj["kind"], obj["metadata"]["name"], body.get("message")))
            outcome = 2
            break
        applied.append(obj)
        if obj["kind"] != "Job":
            continue
        job, end = wait_job(obj["metadata"]["name"])
        if not job:
            print("# job %s: no end in %d s" % (obj["metadata"]["name"], TIMEOUT))
            outcome = 2
            break
        _, pods = call("GET", "/api/v1/namespaces/%s/pods" % NS)
        for pod in pods["items"]:
            if pod["metadata"].get("labels", {}).get("controller-uid") == job["metadata"]["uid"]:
                results(pod)
        print("[pipec] job %s: %s" % (obj["metadata"]["name"], end))
        outcome = max(outcome, 0 if end == "Complete" else 1)
    for obj in reversed(applied):
        call("DELETE", "%s/%s?propagationPolicy=Foreground" % (collection(obj), obj["metadata"]["name"]))
    return outcome


URL, TOKEN, NS, FILE = sys.argv[1:5]
TIMEOUT = int(sys.argv[5]) if len(sys.argv) > 5 else 300
sys.exit(main())
