"""Runs the scim2-tester conformance checks (its Python API) against our SCIM server.

usage: python scim_check.py BASE_URL SCIM_TOKEN
Prints every result that is not a success, then one JSON line with the counts per status.
Exit status 0 always: the Rust test decides from the counts.
"""
import json
import sys
from collections import Counter

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base_url, token = sys.argv[1], sys.argv[2]
http = httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
client = SyncSCIMClient(http)
results = check_server(client, resource_types=["User", "Group"])
counts = Counter(r.status.name for r in results)
for r in results:
    if r.status.name in ("ERROR", "CRITICAL", "DEVIATION"):
        print(f"{r.status.name}: {r.title}: {r.reason} {str(r.data)[:1500]}", file=sys.stderr)
print(json.dumps(dict(counts)))
