#!/usr/bin/env bash
# Benchmarks: every package's go test benchmarks, then the MPC core across
# party processes on loopback. Prints a table at the end; everything is also
# kept in bench.txt. "scripts/bench.sh epoch" runs only the exposure epoch
# across processes (the last section).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/safetrace ./cmd/safetrace
out=bench.txt
: > "$out"
if [[ "${1:-all}" != epoch ]]; then
go test -run '^$' -bench . -benchtime "${BENCHTIME:-1s}" -timeout 60m ./... 2>&1 | tee -a "$out"

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

# The exposure epoch across 3 party processes on loopback ("safetrace epoch
# simulate", partitioned by day as the parties run it), without and with
# the noise of the tag-group sizes (epsilon 0 and 1). dummies is the
# noise's dummy records over all days, cpu_s the CPU time of the busiest
# party process, rec/s/core the records per second of one party's CPU time
# (records / cpu_s), rss_mb the largest peak resident memory of the three
# party processes (each with a 900 MiB soft memory limit). EPOCH_SIZES
# overrides the ordinary record counts (users are a tenth of them,
# positives a hundredth of the users).
echo | tee -a "$out"
echo "Exposure epoch, 3 party processes on loopback (load average: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out"
printf '%-9s %-6s %-10s %-8s %-8s %-8s %-11s %-11s %-7s %s\n' records noise in_epoch dummies seconds cpu_s rec/s/wall rec/s/core rss_mb mismatches | tee -a "$out"
for size in ${EPOCH_SIZES:-10000 100000 1000000}; do
	for eps in 0 1; do
		res=$(./bin/safetrace epoch simulate --users $((size / 10)) --records "$size" --positives $((size / 1000)) --noise-epsilon "$eps" --party-memory-limit 900 --detail)
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
