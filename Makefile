# SafeTrace build, run and test entry points. See README.md.
GO        ?= go
GOROOT    := $(shell $(GO) env GOROOT)
BIN       := bin/safetrace

.PHONY: all build run test test-pg bench bench-ingest bench-epoch bench-wasm test-wasm wasm lint fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/safetrace

# The browser modules compiled to WebAssembly (the visitor app's, ./wasm,
# and the poster page's, ./wasm/poster) plus the loader from the Go tree,
# under content-hashed names with their brotli and gzip encodings, listed in
# web/dist/assets.js (wasm/internal/dist).
wasm:
	$(GO) run ./wasm/internal/dist -o web/dist

# A whole local deployment: parties, relay and web app (see README).
run: build wasm
	./$(BIN) dev --dir .safetrace

test: lint
	$(GO) test -count=1 -timeout 14m ./...

# make test with a throwaway PostgreSQL cluster, so the PostgreSQL store's
# tests run instead of skipping (scripts/pg-test-env.sh; .ci/run does the same).
test-pg:
	./scripts/pg-test-env.sh run $(MAKE) test

bench: build
	./scripts/bench.sh

# The exposure epoch across 3 party processes, noise off and on.
bench-epoch: build
	./scripts/bench.sh epoch

# Receipted records/s per party through the relay, bbolt and PostgreSQL.
bench-ingest: build
	./scripts/bench.sh ingest

# The QR decoder and poster benchmarks under WebAssembly in node, as the
# browser app runs them.
bench-wasm:
	GOOS=js GOARCH=wasm $(GO) test -exec "$(GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$$' -bench 'DecodeFrame|ScanFrame|Poster' -benchtime 20x ./qr

test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -exec "$(GOROOT)/lib/wasm/go_js_wasm_exec" ./qr/... ./trace/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin web/dist bench.txt
