"""Validate a CycloneDX 1.6 JSON SBOM with cyclonedx-python-lib's strict JSON-schema validator
(the official bom-1.6 schema it ships, with the SPDX and JSF schemas it references), then check
what the schema cannot: every dependency ref and dependsOn entry names a component (or the
metadata component), and bom-refs are unique.

Usage: python3 validate.py SBOM.json   -> exit 0 valid, 1 invalid (reasons on stderr), 2 usage.
Needs: pip install cyclonedx-python-lib jsonschema   (check-jsonschema pulls jsonschema in)
"""
import json
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: validate.py SBOM.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:
        print(f"schema: {error}", file=sys.stderr)
        return 1
    bom = json.loads(text)
    refs = [c.get("bom-ref") for c in bom.get("components", [])]
    root = bom.get("metadata", {}).get("component", {}).get("bom-ref")
    if root is not None:
        refs.append(root)
    known = set(r for r in refs if r is not None)
    if len(known) != len([r for r in refs if r is not None]):
        print("bom-refs are not unique", file=sys.stderr)
        return 1
    for dep in bom.get("dependencies", []):
        for r in [dep["ref"], *dep.get("dependsOn", [])]:
            if r not in known:
                print(f"dependency ref `{r}` names no component", file=sys.stderr)
                return 1
    print(f"valid CycloneDX {bom.get('specVersion')}: {len(bom.get('components', []))} components, "
          f"{len(bom.get('dependencies', []))} dependency entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
