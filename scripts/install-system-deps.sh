#!/usr/bin/env bash
# Debian packages the project needs: PyTorch (trainer), OpenBLAS (fast torch matmuls), sympy/numpy
# (for model-written code), bubblewrap + seccomp (the sandbox), chromium (the viewer's browser tests and
# bench, driven by playwright-core; no browser download), redis-server (the queue's integration tests and
# bench start a real Redis on a free loopback port). Installs only what is missing.
set -euo pipefail
pkgs=(python3-torch libopenblas0-pthread python3-sympy python3-numpy bubblewrap python3-seccomp chromium redis-server)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "rstar setup: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "rstar setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
