#!/usr/bin/env bash
# Lighthouse (npm, in .tools) with Debian Chromium on the deposit page, mobile profile (default
# Moto G Power emulation, simulated slow 4G, 4x CPU slowdown). Uses a running server at
# LH_BASE (default http://localhost:3000) or, when none answers, starts a prod build on LH_PORT
# with a throw-away data directory (and loads the page once with Lighthouse, not kept, to warm the
# fresh backend up). Runs LH_RUNS times (default 3; Lighthouse varies with the
# machine's load, so each run records the load average and Lighthouse's benchmark index) and keeps
# the median run by performance score: bench/out/lighthouse-summary.json (all runs + median) and
# the median's full report bench/out/lighthouse-deposit.json (each run: lighthouse-deposit-N.json).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH" REFLEX_USE_SYSTEM_BUN=1 REFLEX_TELEMETRY_ENABLED=false
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
LH_PORT=${LH_PORT:-3610}
LH_BASE=${LH_BASE:-http://localhost:3000}
LH_RUNS=${LH_RUNS:-3}
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
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-background-networking --disable-component-update --disable-sync"
if [ -n "$server_pid" ]; then  # warm-up, not kept: a fresh backend imports and caches on its first sessions
  lighthouse "$LH_BASE/deposit" --quiet --form-factor=mobile --only-categories=performance \
    --chrome-flags="$CHROME_FLAGS" --output=json --output-path=/dev/null || true
fi
rm -f "$OUT"/lighthouse-deposit-*.json "$OUT"/lighthouse-deposit-*.load
for run in $(seq 1 "$LH_RUNS"); do
  for attempt in 1 2; do  # a loaded machine sometimes loses the trace (NO_NAVSTART): one retry
    cut -d' ' -f1-3 /proc/loadavg >"$OUT/lighthouse-deposit-$run.load"
    lighthouse "$LH_BASE/deposit" --quiet --form-factor=mobile \
      --only-categories=performance,accessibility,best-practices \
      --chrome-flags="$CHROME_FLAGS" \
      --output=json --output-path="$OUT/lighthouse-deposit-$run.json" && break
    [ "$attempt" = 2 ] && exit 1
  done
done
python - "$OUT" "$LH_RUNS" <<'PY'
import datetime, json, os, platform, shutil, sys
out, runs = sys.argv[1], int(sys.argv[2])
METRICS = ("first-contentful-paint", "largest-contentful-paint", "speed-index", "total-blocking-time",
           "cumulative-layout-shift", "interactive")


def summary(n):
    path = os.path.join(out, f"lighthouse-deposit-{n}.json")
    r = json.load(open(path))
    audits = r["audits"]
    return {"run": n, "load_average": open(path[:-4] + "load").read().split(),
            "benchmark_index": r["environment"].get("benchmarkIndex"),
            "scores": {k: round(v["score"] * 100) for k, v in r["categories"].items()},
            "metrics": {k: audits[k]["displayValue"] for k in METRICS if k in audits},
            "failed": {k: a["title"] for k, a in audits.items() if a.get("score") is not None and a["score"] < 0.9
                       and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")},
            "url": r["finalDisplayedUrl"], "lighthouse": r["lighthouseVersion"],
            "user_agent": r["environment"]["hostUserAgent"]}


all_runs = [summary(n) for n in range(1, runs + 1)]
median = sorted(all_runs, key=lambda s: s["scores"]["performance"])[(runs - 1) // 2]
shutil.copy(os.path.join(out, f"lighthouse-deposit-{median['run']}.json"), os.path.join(out, "lighthouse-deposit.json"))
result = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
          "machine": f"{platform.machine()} {os.cpu_count()} CPU, {platform.platform()}",
          "median": median, "runs": [{k: s[k] for k in ("run", "load_average", "benchmark_index", "scores", "metrics")}
                                     for s in all_runs]}
json.dump(result, open(os.path.join(out, "lighthouse-summary.json"), "w"), indent=1, ensure_ascii=False)
for s in all_runs:
    print(f"run {s['run']}: load {' '.join(s['load_average'])}, benchmark index {s['benchmark_index']}: "
          f"{s['scores']} {s['metrics']}")
print(json.dumps(result["median"], indent=1, ensure_ascii=False))
PY
