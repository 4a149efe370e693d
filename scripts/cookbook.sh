#!/usr/bin/env bash
# Executes every notebook headlessly with the tslab kernel and renders cookbook/ pages
# (Markdown with the outputs). Writes one result line per notebook to
# ${COOKBOOK_RESULTS:-/tmp/rusket-cookbook.txt} ("pass NAME" / "fail NAME").
set -uo pipefail
cd "$(dirname "$0")/.."
JUPYTER_DIR="${RUSKET_JUPYTER_DIR:-$PWD/.jupyter}"
export PATH="$PWD/node_modules/.bin:$PATH"  # the kernel spec runs `tslab`
if [ ! -f "$JUPYTER_DIR/share/jupyter/kernels/tslab/kernel.json" ]; then
  npx tslab install --python=/usr/bin/python3 --prefix="$JUPYTER_DIR" >/dev/null || exit 1
fi
ln -sfn .. node_modules/rusket
results="${COOKBOOK_RESULTS:-/tmp/rusket-cookbook.txt}"
: > "$results"
mkdir -p cookbook
status=0
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb" .ipynb)
  start=$(date +%s)
  if JUPYTER_PATH="$JUPYTER_DIR/share/jupyter" /usr/bin/python3 -m jupyter nbconvert --to notebook --execute \
      --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=1200 \
      --output-dir /tmp/rusket-executed "$nb" >/tmp/rusket-nb-"$name".log 2>&1 \
    && /usr/bin/python3 scripts/strip-figures.py "/tmp/rusket-executed/$name.ipynb" \
    && /usr/bin/python3 -m jupyter nbconvert --to markdown --output-dir cookbook "/tmp/rusket-executed/$name.ipynb" >>/tmp/rusket-nb-"$name".log 2>&1; then
    echo "pass $name" >> "$results"
    echo "[cookbook] ok   $name ($(( $(date +%s) - start )) s) → cookbook/$name.md"
  else
    echo "fail $name" >> "$results"
    echo "[cookbook] FAIL $name: see /tmp/rusket-nb-$name.log"
    tail -40 /tmp/rusket-nb-"$name".log
    status=1
  fi
done
exit $status
