"""Replaces the inlined plotly.js (≈ 11 MB) in an executed notebook's HTML outputs with a short
note, so that the rendered cookbook pages stay small. The notebooks themselves keep the figures."""
import json
import sys

LIMIT = 200_000
NOTE = "<p><em>Interactive Plotly figure (plotly.js inlined): run the notebook to explore it.</em></p>"

for path in sys.argv[1:]:
    nb = json.load(open(path))
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html is not None and len("".join(html)) > LIMIT:
                out["data"]["text/html"] = NOTE
    json.dump(nb, open(path, "w"))
