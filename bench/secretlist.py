#!/usr/bin/env python3
"""A Secret-heavy SecretList, as kube-apiserver lists it, for the masking benchmarks.

    bench/secretlist.py OUT.json [SIZE_MB]     (SIZE_MB default 100; 1 MB = 1,000,000 bytes)

Secrets with labels, half of them applied by kubectl (the manifest again, data included, in the
last-applied annotation), managedFields naming the keys, 3-5 data keys of 40-2000 random bytes
(base64). Compact JSON, deterministic (seed 42): the same shape as bench/json_masker_bench.cc's
in-process SecretList. Prints one JSON line on stdout: the file's size, its item count and one
data value of the first Secret (`probe`), which a masked copy must no longer contain.
"""
import base64
import json
import random
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    path = sys.argv[1]
    target = int(sys.argv[2] if len(sys.argv) == 3 else 100) * 1000 * 1000
    rng = random.Random(42)
    names = ["password", "username", "tls.crt", "tls.key", "api-token"]
    probe = None
    with open(path, "w") as out:
        out.write('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[')
        written, index = 0, 0
        while written < target:
            ns, name = f"team-{index % 40}", f"app-{index}-credentials"
            keys = names[:rng.randint(3, 5)]
            data = {k: base64.b64encode(rng.randbytes(rng.randint(40, 2000))).decode() for k in keys}
            if probe is None:
                probe = data["password"]
            labels = {"app": f"app-{index}", "team": ns, "app.kubernetes.io/managed-by": "kubectl"}
            annotations = {"team.example.com/owner": f"{ns}@example.com"}
            if index % 2 == 0:
                manifest = {"apiVersion": "v1", "data": data, "kind": "Secret", "type": "Opaque",
                            "metadata": {"annotations": {}, "labels": labels, "name": name, "namespace": ns}}
                annotations["kubectl.kubernetes.io/last-applied-configuration"] = \
                    json.dumps(manifest, separators=(",", ":")) + "\n"
            item = {"metadata": {"name": name, "namespace": ns, "uid": f"{rng.getrandbits(128):032x}",
                                 "resourceVersion": str(100000 + index), "creationTimestamp": "2026-03-14T09:26:53Z",
                                 "labels": labels, "annotations": annotations,
                                 "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update",
                                                    "apiVersion": "v1", "time": "2026-03-14T09:26:53Z",
                                                    "fieldsType": "FieldsV1",
                                                    "fieldsV1": {"f:data": {".": {}, **{f"f:{k}": {} for k in keys}},
                                                                 "f:type": {}}}]},
                    "data": data, "type": "Opaque"}
            text = ("," if index else "") + json.dumps(item, separators=(",", ":"))
            out.write(text)
            written += len(text)
            index += 1
        out.write("]}")
    print(json.dumps({"bytes": written + len('{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"123456"},"items":[') + 2,
                      "items": index, "probe": probe}))


if __name__ == "__main__":
    main()
