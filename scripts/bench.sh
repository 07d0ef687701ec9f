#!/usr/bin/env bash
# Benchmarks: every package's go test benchmarks, then the ingest figures
# (receipted records/s per party through the relay, bbolt and PostgreSQL side
# by side), then the MPC core across party processes on loopback. Prints
# tables at the end of each part; everything is also kept in bench.txt.
#
#   scripts/bench.sh          everything (make bench)
#   scripts/bench.sh ingest   the ingest figures only (make bench-ingest)
#
# Without SAFETRACE_TEST_POSTGRES a throwaway PostgreSQL cluster is started
# for the run (scripts/pg-test-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
if [ -z "${SAFETRACE_TEST_POSTGRES:-}" ]; then
	eval "$(scripts/pg-test-env.sh start)"
	trap 'scripts/pg-test-env.sh stop "$SAFETRACE_PG_DIR"' EXIT
fi
go build -o bin/safetrace ./cmd/safetrace
out=bench.txt
: > "$out"
if [ "$what" = all ]; then
	go test -run '^$' -bench . -skip 'BenchmarkIngest|BenchmarkPutUploadParallel' -benchtime "${BENCHTIME:-1s}" -timeout 60m ./... 2>&1 | tee -a "$out"
fi

uploads=${INGEST_UPLOADS:-2000}
echo | tee -a "$out"
echo "Ingest: receipted records/s per party; 3 parties, 24 clients, uploads of 30 records ($uploads uploads), through the relay on loopback; store alone: 20-record uploads from 32 goroutines" | tee -a "$out"
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
[ "$what" = ingest ] && exit 0

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
