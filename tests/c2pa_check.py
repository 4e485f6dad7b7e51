"""Independent check of Retake's Content Credentials with the official C2PA
Python bindings (c2pa-python, its own build of the C2PA SDK).

Usage: python tests/c2pa_check.py FILE...

Prints one JSON object per FILE on its own line: whether a manifest was
found (embedded, or in the `.c2pa` sidecar beside the file for formats the
SDK cannot embed into), the active manifest's generator, actions and
ingredients, and the validation failure codes. The Rust test
(crates/retake-cli/tests/c2pa.rs) judges them.
"""

import io
import json
import os
import sys

import c2pa

EMBEDDED = {
    ".mov": "video/quicktime",
    ".mp4": "video/mp4",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
SIDECAR = {".exr": "image/x-exr", ".mkv": "video/x-matroska"}


def read(path):
    stem, ext = os.path.splitext(path)
    ext = ext.lower()
    with open(path, "rb") as f:
        data = f.read()
    try:
        if ext in EMBEDDED:
            reader = c2pa.Reader(EMBEDDED[ext], io.BytesIO(data))
            carrier = "embedded"
        else:
            sidecar = stem + ".c2pa"
            if not os.path.exists(sidecar):
                return {"file": path, "manifest": False, "why": "no sidecar " + sidecar}
            with open(sidecar, "rb") as s:
                manifest = s.read()
            reader = c2pa.Reader(SIDECAR[ext], io.BytesIO(data), manifest)
            carrier = "sidecar"
    except c2pa.C2paError as e:
        return {"file": path, "manifest": False, "why": str(e)}
    with reader:
        store = json.loads(reader.json())
    label = store.get("active_manifest")
    active = store.get("manifests", {}).get(label, {})
    actions = []
    for a in active.get("assertions", []):
        if a.get("label", "").startswith("c2pa.actions"):
            actions += [x.get("action") for x in a["data"].get("actions", [])]
    statuses = store.get("validation_status") or []
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = sorted({s["code"] for s in statuses} | {s["code"] for s in results.get("failure", [])})
    return {
        "file": path,
        "manifest": True,
        "carrier": carrier,
        "generator": [g.get("name") for g in active.get("claim_generator_info", [])],
        "actions": actions,
        "digital_source_types": sorted(
            {
                x.get("digitalSourceType")
                for a in active.get("assertions", [])
                if a.get("label", "").startswith("c2pa.actions")
                for x in a["data"].get("actions", [])
                if x.get("digitalSourceType")
            }
        ),
        "ingredients": [
            {
                "title": i.get("title"),
                "relationship": i.get("relationship"),
                "label": i.get("label"),
                "has_manifest": bool(i.get("active_manifest")),
            }
            for i in active.get("ingredients", [])
        ],
        "retake": any(a.get("label") == "com.retake.provenance" for a in active.get("assertions", [])),
        "failures": failures,
        "state": store.get("validation_state"),
    }


def main():
    for path in sys.argv[1:]:
        print(json.dumps(read(path)), flush=True)


if __name__ == "__main__":
    main()
