#!/usr/bin/env bash
# Lighthouse (npm, in .tools) with Debian Chromium on the deposit page, mobile profile (default
# Moto G Power emulation, simulated slow 4G, 4x CPU slowdown). Uses a running server at
# LH_BASE (default http://localhost:3000) or, when none answers, starts a prod build on LH_PORT
# with a throw-away data directory. Scores: bench/out/lighthouse-summary.json (+ full JSON report).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH" REFLEX_USE_SYSTEM_BUN=1 REFLEX_TELEMETRY_ENABLED=false
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
LH_PORT=${LH_PORT:-3610}
LH_BASE=${LH_BASE:-http://localhost:3000}
OUT=bench/out
mkdir -p "$OUT"
server_pid=""
if ! curl -sf "$LH_BASE/ping" >/dev/null 2>&1; then
  LH_BASE="http://localhost:$LH_PORT"
  data=$(mktemp -d)
  MRASLA_DATA_DIR=$data MRASLA_PUBLIC_URL=$LH_BASE python -m mrasla_app.cli seed --quiet
  MRASLA_DATA_DIR=$data MRASLA_PUBLIC_URL=$LH_BASE setsid python -m reflex run --env prod \
    --frontend-port "$LH_PORT" --backend-port "$LH_PORT" >"$data/server.log" 2>&1 &
  server_pid=$!
  trap '[ -n "$server_pid" ] && kill -- -"$server_pid" 2>/dev/null; true' EXIT
  for _ in $(seq 1 200); do curl -sf "$LH_BASE/ping" >/dev/null 2>&1 && break; sleep 3; done
fi
curl -sf "$LH_BASE/deposit" >/dev/null
lighthouse "$LH_BASE/deposit" --quiet --form-factor=mobile \
  --only-categories=performance,accessibility,best-practices \
  --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-background-networking --disable-component-update --disable-sync" \
  --output=json --output-path="$OUT/lighthouse-deposit.json"
python - "$OUT/lighthouse-deposit.json" <<'PY'
import json, platform, sys, datetime, os
r = json.load(open(sys.argv[1]))
cats = {k: round(v["score"] * 100) for k, v in r["categories"].items()}
audits = r["audits"]
metrics = {k: audits[k]["displayValue"] for k in ("first-contentful-paint", "largest-contentful-paint",
           "total-blocking-time", "cumulative-layout-shift", "speed-index", "interactive") if k in audits}
summary = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "url": r["finalDisplayedUrl"],
           "lighthouse": r["lighthouseVersion"], "user_agent": r["environment"]["hostUserAgent"],
           "machine": f"{platform.machine()} {os.cpu_count()} CPU, {platform.platform()}",
           "benchmark_index": r["environment"].get("benchmarkIndex"), "scores": cats, "metrics": metrics,
           "failed": {k: a["title"] for k, a in audits.items()
                      if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")}}
json.dump(summary, open(os.path.join(os.path.dirname(sys.argv[1]), "lighthouse-summary.json"), "w"), indent=1, ensure_ascii=False)
print(json.dumps(summary, indent=1, ensure_ascii=False))
PY
