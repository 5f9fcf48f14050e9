#!/usr/bin/env bash
# Lighthouse (npm, in .tools) with Debian Chromium on the public pages /deposit, /track and a receipt's
# verification page /verify/<reference>?t=<token> (one deposit made through the API), mobile profile (default
# Moto G Power emulation, simulated slow 4G, 4x CPU slowdown). Uses a running server at
# LH_BASE (default http://localhost:3000) or, when none answers, starts a prod build on LH_PORT
# with a throw-away data directory (and loads the page once with Lighthouse, not kept, to warm the
# fresh backend up). Runs LH_RUNS times (default 3; Lighthouse varies with the
# machine's load, so each run records the load average and Lighthouse's benchmark index) and keeps
# for each page the median run by performance score, and the median of each category's score:
# bench/out/lighthouse-summary.json (all runs, medians per page) and the median's full report
# bench/out/lighthouse-<page>.json (each run: lighthouse-<page>-N.json). LH_PAGES picks pages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/.venv/bin:$PATH" REFLEX_USE_SYSTEM_BUN=1 REFLEX_TELEMETRY_ENABLED=false
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
LH_PORT=${LH_PORT:-3610}
LH_BASE=${LH_BASE:-http://localhost:3000}
LH_RUNS=${LH_RUNS:-3}
LH_PAGES=${LH_PAGES:-deposit track verify}
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
# One deposit for a receipt's verification URL (the QR code's /verify/<reference>?t=<token>).
verify_path=$(curl -sf -X POST "$LH_BASE/api/v1/deposits" -F administration=MEF -F "full_name=Fatima Zahra Alaoui" \
  -F id_kind=CIN -F id_value=AB123456 -F email=lighthouse@example.ma -F "subject=Demande d'attestation" \
  -F "message=Mesure Lighthouse." -F lang=fr | python -c 'import json,re,sys; print(re.sub(r"^https?://[^/]+", "", json.load(sys.stdin)["verify_url"]))')
url_of() { case "$1" in verify) echo "$LH_BASE$verify_path" ;; *) echo "$LH_BASE/$1" ;; esac; }
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --disable-background-networking --disable-component-update --disable-sync"
if [ -n "$server_pid" ]; then  # warm-up, not kept: a fresh backend imports and caches on its first sessions
  for p in $LH_PAGES; do
    lighthouse "$(url_of "$p")" --quiet --form-factor=mobile --only-categories=performance \
      --chrome-flags="$CHROME_FLAGS" --output=json --output-path=/dev/null || true
  done
fi
for p in $LH_PAGES; do
  rm -f "$OUT"/lighthouse-"$p"-*.json "$OUT"/lighthouse-"$p"-*.load
  for run in $(seq 1 "$LH_RUNS"); do
    for attempt in 1 2; do  # a loaded machine sometimes loses the trace (NO_NAVSTART): one retry
      cut -d' ' -f1-3 /proc/loadavg >"$OUT/lighthouse-$p-$run.load"
      lighthouse "$(url_of "$p")" --quiet --form-factor=mobile \
        --only-categories=performance,accessibility,best-practices \
        --chrome-flags="$CHROME_FLAGS" \
        --output=json --output-path="$OUT/lighthouse-$p-$run.json" && break
      [ "$attempt" = 2 ] && exit 1
    done
  done
done
python - "$OUT" "$LH_RUNS" $LH_PAGES <<'PY'
import datetime, json, os, platform, shutil, statistics, sys
out, runs, pages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
METRICS = ("first-contentful-paint", "largest-contentful-paint", "speed-index", "total-blocking-time",
           "cumulative-layout-shift", "interactive")


def summary(page, n):
    path = os.path.join(out, f"lighthouse-{page}-{n}.json")
    r = json.load(open(path))
    audits = r["audits"]
    return {"run": n, "load_average": open(path[:-4] + "load").read().split(),
            "benchmark_index": r["environment"].get("benchmarkIndex"),
            "scores": {k: round(v["score"] * 100) for k, v in r["categories"].items()},
            "metrics": {k: audits[k]["displayValue"] for k in METRICS if k in audits},
            "failed": {k: a["title"] for k, a in audits.items() if a.get("score") is not None and a["score"] < 0.9
                       and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")},
            "url": r["finalDisplayedUrl"].split("?")[0], "lighthouse": r["lighthouseVersion"],
            "user_agent": r["environment"]["hostUserAgent"]}


result = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
          "machine": f"{platform.machine()} {os.cpu_count()} CPU, {platform.platform()}", "pages": {}}
for page in pages:
    all_runs = [summary(page, n) for n in range(1, runs + 1)]
    median = sorted(all_runs, key=lambda s: s["scores"]["performance"])[(runs - 1) // 2]
    shutil.copy(os.path.join(out, f"lighthouse-{page}-{median['run']}.json"), os.path.join(out, f"lighthouse-{page}.json"))
    medians = {k: statistics.median(s["scores"][k] for s in all_runs) for k in all_runs[0]["scores"]}
    result["pages"][page] = {
        "median_scores": medians, "median_run": median,
        "runs": [{k: s[k] for k in ("run", "load_average", "benchmark_index", "scores", "metrics")} for s in all_runs]}
    for s in all_runs:
        print(f"{page} run {s['run']}: load {' '.join(s['load_average'])}, benchmark index {s['benchmark_index']}: "
              f"{s['scores']} {s['metrics']}")
    print(f"{page} median: {medians}; failed audits of the median run: {median['failed']}")
json.dump(result, open(os.path.join(out, "lighthouse-summary.json"), "w"), indent=1, ensure_ascii=False)
PY
