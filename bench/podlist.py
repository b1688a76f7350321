#!/usr/bin/env python3
"""Writes an API-shaped PodList (10 pods, about 23 KB of compact JSON) to the file named by argv[1].

The body is what `kubectl get pods -o json` sees from kube-apiserver for a small namespace:
metadata with labels, annotations and ownerReferences, a spec with a container, its resources and probe,
and a status with conditions and container statuses. Nothing in it is secret.
"""
import json
import sys


def pod(i):
    name = f"web-7d9f8c6b5-{i:05d}"
    return {
        "metadata": {
            "name": name,
            "generateName": "web-7d9f8c6b5-",
            "namespace": "default",
            "uid": f"3f1c2a9e-8b7d-4c6e-9f0a-{i:012d}",
            "resourceVersion": str(48213 + i),
            "creationTimestamp": "2025-11-20T09:14:03Z",
            "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5", "tier": "frontend"},
            "annotations": {
                "kubectl.kubernetes.io/restartedAt": "2025-11-20T09:13:58Z",
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9102",
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8c6b5",
                "uid": "a81e4f02-6d3b-4e59-b7c1-2f0d9e8a6c41", "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": {
            "containers": [{
                "name": "web",
                "image": "registry.example/web:1.27.4",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080, "scheme": "HTTP"},
                                   "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                                   "failureThreshold": 3},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "nodeName": f"node-{i % 3}",
            "schedulerName": "default-scheduler",
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": "2025-11-20T09:14:07Z"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "hostIP": f"10.0.0.{10 + i % 3}",
            "podIP": f"10.244.{i % 3}.{20 + i}",
            "podIPs": [{"ip": f"10.244.{i % 3}.{20 + i}"}],
            "startTime": "2025-11-20T09:14:03Z",
            "containerStatuses": [{
                "name": "web", "state": {"running": {"startedAt": "2025-11-20T09:14:06Z"}},
                "lastState": {}, "ready": True, "restartCount": 0, "started": True,
                "image": "registry.example/web:1.27.4",
                "imageID": "registry.example/web@sha256:" + "4e2a" * 16,
                "containerID": "containerd://" + f"{i:02d}" * 32,
            }],
            "qosClass": "Burstable",
        },
    }


body = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "48299"},
        "items": [pod(i) for i in range(10)]}
with open(sys.argv[1], "w") as f:
    json.dump(body, f, separators=(",", ":"))
