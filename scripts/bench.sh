#!/usr/bin/env bash
# Benchmarks: every package's go test benchmarks, then the ingest figures
# (receipted records/s per party through the relay, bbolt and PostgreSQL side
# by side), then the MPC core and the exposure epoch across party processes
# on loopback, then Lighthouse on the web pages. Prints tables at the end of each part;
# everything is also kept in bench.txt.
#
#   scripts/bench.sh             everything (make bench)
#   scripts/bench.sh ingest      the ingest figures only (make bench-ingest)
#   scripts/bench.sh epoch       the exposure epoch across processes only
#   scripts/bench.sh lighthouse  Lighthouse only
#
# Without SAFETRACE_TEST_POSTGRES a throwaway PostgreSQL cluster is started
# for the run (scripts/pg-test-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
want() { [ "$what" = all ] || [ "$what" = "$1" ]; }
if want ingest && [ -z "${SAFETRACE_TEST_POSTGRES:-}" ]; then
	eval "$(scripts/pg-test-env.sh start)"
	trap 'scripts/pg-test-env.sh stop "$SAFETRACE_PG_DIR"' EXIT
fi
go build -o bin/safetrace ./cmd/safetrace
out=bench.txt
: > "$out"
if [ "$what" = all ]; then
	go test -run '^$' -bench . -skip 'BenchmarkIngest|BenchmarkPutUploadParallel' -benchtime "${BENCHTIME:-1s}" -timeout 60m ./... 2>&1 | tee -a "$out"
fi

if want ingest; then
uploads=${INGEST_UPLOADS:-2000}
echo | tee -a "$out"
echo "Ingest: receipted records/s per party; 3 parties, $uploads uploads of 30 records, each from a user of its own, sealed with the manifest's proof of work before the timer, sent by 24 relay connections at once (the receipts opened and checked), through the relay on loopback; store alone: 20-record uploads from 32 goroutines" | tee -a "$out"
echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
ing=$(go test -run '^$' -bench 'BenchmarkIngest' -benchtime "${uploads}x" -timeout 30m ./party/server/ 2>/dev/null | grep '^BenchmarkIngest' || true)
rate() { sed -n "s|.*[[:space:]]\([0-9.]*\) $1.*|\1|p" | head -n 1; }
alone() { go test -run '^$' -bench 'BenchmarkPutUploadParallel' -benchtime 3s "$1" 2>/dev/null | rate 'records/s'; }
bolt_relay=$(grep 'Ingest/bbolt' <<<"$ing" | rate 'records/s/party')
pg_relay=$(grep 'Ingest/postgres' <<<"$ing" | rate 'records/s/party')
bolt_alone=$(alone ./party/store/)
pg_alone=$(alone ./party/store/pgstore/)
printf '%-10s %-28s %s\n' store through_relay_records/s store_alone_records/s | tee -a "$out"
printf '%-10s %-28s %s\n' bbolt "${bolt_relay:--}" "${bolt_alone:--}" | tee -a "$out"
printf '%-10s %-28s %s\n' postgres "${pg_relay:--}" "${pg_alone:--}" | tee -a "$out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
fi

if [ "$what" = all ]; then

echo | tee -a "$out"
echo "MPC core across party processes (TLS 1.3 mesh on loopback)" | tee -a "$out"
rows=(
	"3 1 mul 1000000 1"
	"5 2 mul 1000000 1"
	"3 1 mul 1 2000"
	"5 2 mul 1 2000"
	"3 1 cmp 100000 1"
	"3 1 aes 10000 1"
)
printf '%-8s %-4s %-9s %-7s %-12s %-14s %s\n' parties t op size seconds per_second us_per_round | tee -a "$out"
for row in "${rows[@]}"; do
	set -- $row
	line=$(./bin/safetrace mpc bench --parties "$1" --threshold "$2" --op "$3" --size "$4" --repeat "$5")
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	ps=$(sed -n 's/.*per_second=\([0-9]*\).*/\1/p' <<<"$line")
	us=$(sed -n 's/.*us_per_batch=\([0-9.]*\).*/\1/p' <<<"$line")
	printf '%-8s %-4s %-9s %-7s %-12s %-14s %s\n' "$1" "$2" "$3" "$4" "$secs" "$ps" "${us:--}" | tee -a "$out"
done
fi

if want epoch; then
# The exposure epoch across 3 party processes on loopback ("safetrace epoch
# simulate", partitioned by day as the parties run it), without and with
# the noise of the tag-group sizes (epsilon 0 and 1). dummies is the
# noise's dummy records over all days, cpu_s the CPU time of the busiest
# party process, rec/s/core the records per second of one party's CPU time
# (records / cpu_s), rss_mb the largest peak resident memory of the three
# party processes (no memory limit). EPOCH_SIZES
# overrides the ordinary record counts (users are a tenth of them,
# positives a hundredth of the users).
echo | tee -a "$out"
echo "Exposure epoch, 3 party processes on loopback (load average: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out"
printf '%-9s %-6s %-10s %-8s %-8s %-8s %-11s %-11s %-7s %s\n' records noise in_epoch dummies seconds cpu_s rec/s/wall rec/s/core rss_mb mismatches | tee -a "$out"
for size in ${EPOCH_SIZES:-10000 100000 1000000}; do
	for eps in 0 1; do
		res=$(./bin/safetrace epoch simulate --users $((size / 10)) --records "$size" --positives $((size / 1000)) --noise-epsilon "$eps" --detail)
		line=$(head -n1 <<<"$res")
		recs=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<<"$line")
		secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		mis=$(sed -n 's/.*mismatches=\([0-9]*\).*/\1/p' <<<"$line")
		cpu=$(sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p' <<<"$res" | sort -n | tail -n1)
		rss=$(sed -n 's/.*peak_rss_mb=\([0-9]*\).*/\1/p' <<<"$res" | sort -n | tail -n1)
		dum=$(sed -n 's/.*noise_records=\([0-9]*\).*/\1/p' <<<"$res" | head -n1)
		printf '%-9s %-6s %-10s %-8s %-8s %-8s %-11.0f %-11.0f %-7s %s\n' "$size" "$eps" "$recs" "$dum" "$secs" "$cpu" \
			"$(bc -l <<<"$recs / $secs")" "$(bc -l <<<"$recs / $cpu")" "$rss" "$mis" | tee -a "$out"
	done
done
fi

# Lighthouse (npm package "lighthouse", installed once into
# $LIGHTHOUSE_DIR) against Debian's Chromium: the mobile profile (simulated
# slow 4G, CPU 4x) for the visitor app, the poster page and the dashboard,
# served by "safetrace dev" from a fresh build. Skipped without npm or
# Chromium; SKIP_LIGHTHOUSE=1 skips it too.
lighthouse_version=13.5.0
chrome=$(command -v chromium || command -v chromium-browser || true)
if want lighthouse && [ -z "${SKIP_LIGHTHOUSE:-}" ] && [ -n "$chrome" ] && command -v npm >/dev/null; then
	lhdir=${LIGHTHOUSE_DIR:-$HOME/.cache/safetrace-lighthouse}
	if [ ! -x "$lhdir/node_modules/.bin/lighthouse" ] || ! grep -q "\"version\": \"$lighthouse_version\"" "$lhdir/node_modules/lighthouse/package.json"; then
		npm install --silent --no-audit --no-fund --prefix "$lhdir" "lighthouse@$lighthouse_version"
	fi
	make -s wasm >/dev/null
	tmp=$(mktemp -d)
	port=${LIGHTHOUSE_PORT:-18080}
	./bin/safetrace dev --dir "$tmp/deploy" --web "127.0.0.1:$port" --relay-port $((port + 1)) \
		--party-http-base $((port + 10)) --mesh-base-port $((port + 20)) >"$tmp/dev.log" 2>&1 &
	devpid=$!
	trap 'kill $devpid 2>/dev/null; wait $devpid 2>/dev/null; rm -rf "$tmp"; [ -z "${SAFETRACE_PG_DIR:-}" ] || scripts/pg-test-env.sh stop "$SAFETRACE_PG_DIR"' EXIT
	for _ in $(seq 100); do
		curl -sf "http://localhost:$port/api/manifest.json" >/dev/null && break
		sleep 0.3
	done
	echo | tee -a "$out"
	echo "Lighthouse $lighthouse_version, mobile (simulated slow 4G, CPU 4x), Chromium $("$chrome" --version | awk '{print $2}')" | tee -a "$out"
	printf '%-12s %-12s %-14s %-15s %s\n' page performance accessibility best-practices seo | tee -a "$out"
	for page in app:/ poster:/web/poster.html dashboard:/web/dashboard.html; do
		name=${page%%:*} path=${page#*:}
		CHROME_PATH=$chrome "$lhdir/node_modules/.bin/lighthouse" "http://localhost:$port$path" \
			--quiet --output=json --output-path="$tmp/$name.json" \
			--only-categories=performance,accessibility,best-practices,seo \
			--chrome-flags="--headless=new --no-sandbox --disable-gpu --use-fake-ui-for-media-stream" >/dev/null 2>"$tmp/$name.err" || { cat "$tmp/$name.err"; continue; }
		node -e '
			const r = require(process.argv[1]);
			const s = (k) => Math.round(r.categories[k].score * 100);
			console.log([process.argv[2].padEnd(12), String(s("performance")).padEnd(12), String(s("accessibility")).padEnd(14),
				String(s("best-practices")).padEnd(15), s("seo")].join(" "));
			for (const k of ["performance", "accessibility", "best-practices"])
				for (const ref of r.categories[k].auditRefs) {
					const a = r.audits[ref.id];
					if (ref.weight > 0 && a.score !== null && a.score < 0.9) console.log("    " + k + ": " + ref.id + " " + (a.displayValue || a.score));
				}
			const m = r.audits;
			console.log("    FCP " + m["first-contentful-paint"].displayValue + ", LCP " + m["largest-contentful-paint"].displayValue +
				", TBT " + m["total-blocking-time"].displayValue + ", CLS " + m["cumulative-layout-shift"].displayValue + ", SI " + m["speed-index"].displayValue);
			// What costs the blocking time and the first paint: the work
			// on the main thread, its long tasks, render-blocking requests.
			const dv = (id) => (m[id] && (m[id].displayValue || (m[id].score === 1 ? "none" : ""))) || "-";
			console.log("    main-thread work " + dv("mainthread-work-breakdown") + ", JS execution " + dv("bootup-time") +
				", long tasks: " + dv("long-tasks") + ", render-blocking: " + dv("render-blocking-insight"));
			const lt = m["long-tasks"] && m["long-tasks"].details ? m["long-tasks"].details.items : [];
			for (const i of lt.slice(0, 3)) console.log("      long task " + Math.round(i.duration) + " ms " + i.url);
		' "$tmp/$name.json" "$name" | tee -a "$out"
		mkdir -p test-artifacts && cp "$tmp/$name.json" "test-artifacts/lighthouse-$name.json"
	done
fi
