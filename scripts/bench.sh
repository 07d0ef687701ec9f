#!/usr/bin/env bash
# Benchmarks: every package's go test benchmarks, then the MPC core across
# party processes on loopback. Prints a table at the end; everything is also
# kept in bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/safetrace ./cmd/safetrace
out=bench.txt
: > "$out"
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
