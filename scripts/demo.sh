#!/usr/bin/env bash
# `make demo`: the main job against the bundled simulated instruments (no hardware, no setup).
set -euo pipefail
build=${1:-build}
if [ -x "$build/examples/example_demo" ]; then
  exec "$build/examples/example_demo"
fi
# Until the simulated instruments are built in, show what cppvisa sees.
exec "$build/tools/visa-info"
