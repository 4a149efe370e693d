#!/usr/bin/env bash
# Sets up a fresh Debian machine with Node 20 and cargo: system packages (Jupyter for the
# notebooks, Chromium for the figure tests), npm packages, the native build, the TypeScript
# build, and the tslab Jupyter kernel. Idempotent: steps already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in jupyter-nbconvert python3-nbclient python3-ipykernel chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` from the lock file: npm 11's `npm ci` rejects this lock file for the optional
  # per-platform packages of @napi-rs/cli's dependencies, a lock it wrote itself.
  echo "[setup] npm install (from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi
# Notebooks and examples import the package by its name.
ln -sfn .. node_modules/rusket

echo "[setup] npm run build"
npm run build --silent

JUPYTER_DIR="${RUSKET_JUPYTER_DIR:-$PWD/.jupyter}"
if [ ! -f "$JUPYTER_DIR/share/jupyter/kernels/tslab/kernel.json" ]; then
  echo "[setup] tslab kernel → $JUPYTER_DIR"
  npx tslab install --python=/usr/bin/python3 --prefix="$JUPYTER_DIR" >/dev/null
fi
echo "[setup] done"
