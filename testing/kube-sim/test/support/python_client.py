"""Drives Debian's python3-kubernetes client against kube-sim and prints one JSON result per step.

Usage: python_client.py KUBECONFIG STEP...   (steps: list, watch, secret, exec)
"""
import json
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.stream import stream


def step_list(core):
    pods = core.list_namespaced_pod("production")
    return {"pods": sorted(p.metadata.name for p in pods.items),
            "phases": sorted({p.status.phase for p in pods.items})}


def step_watch(core):
    # Watch config maps in staging; make one while the watch is open and see it arrive.
    events = []
    w = watch.Watch()

    def create_later():
        core.create_namespaced_config_map("staging", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="from-python"), data={"k": "v"}))

    timer = threading.Timer(1.0, create_later)
    timer.start()
    for ev in w.stream(core.list_namespaced_config_map, "staging", timeout_seconds=10):
        events.append([ev["type"], ev["object"].metadata.name])
        if ev["object"].metadata.name == "from-python":
            w.stop()
    timer.join()
    return {"events": events}


def step_secret(core):
    s = core.read_namespaced_secret("db-credentials", "production")
    return {"type": s.type, "keys": sorted(s.data.keys()), "username_b64": s.data["username"]}


def step_exec(core):
    out = stream(core.connect_get_namespaced_pod_exec, "web-7d9f8b6c5d-x2k4p", "production",
                 command=["cat", "/etc/db/username"], stderr=True, stdin=False, stdout=True, tty=False)
    return {"stdout": out}


STEPS = {"list": step_list, "watch": step_watch, "secret": step_secret, "exec": step_exec}


def main():
    config.load_kube_config(config_file=sys.argv[1])
    core = client.CoreV1Api()
    for name in sys.argv[2:]:
        try:
            print(json.dumps({"step": name, "ok": True, "result": STEPS[name](core)}), flush=True)
        except Exception as e:  # report and go on: the test names the failing step
            print(json.dumps({"step": name, "ok": False, "error": repr(e)[:2000]}), flush=True)


if __name__ == "__main__":
    main()
