"""Prints the stand-in API's log of requests, one request a line:
STATUS ZONE KIND ITEM ITEM ... (KIND is files, tags, prefixes, hosts or
purge_everything). With --connections, prints the number of distinct TCP
connections instead. Used by tests/blackbox/lib.sh."""
import json
import sys


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    if "--connections" in sys.argv:
        print(len({e.get("connection") for e in entries}))
        return
    for e in entries:
        zone = e["path"].split("/zones/")[1].split("/")[0] if "/zones/" in e["path"] else "-"
        body = e.get("body")
        if isinstance(body, dict) and len(body) == 1:
            kind, items = next(iter(body.items()))
            if isinstance(items, list):
                items = " ".join(json.dumps(i, ensure_ascii=False) if not isinstance(i, str) else i for i in items)
            else:
                items = json.dumps(items)
        else:
            kind, items = "raw", json.dumps(body if body is not None else e.get("raw_body"))
        print(f"{e.get('status')} {zone} {kind} {items}".rstrip())


main()
