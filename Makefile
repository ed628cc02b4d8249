# The two commands of the README: `make demo` and `make test`. Both install missing
# server packages first (scripts/install-deps.sh).
GO ?= go
GOTEST_FLAGS ?= -race -count=1 -timeout 12m

.PHONY: all test demo deps vet fmt bench clean

all: test

deps:
	@scripts/install-deps.sh

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd examples && $(GO) vet ./...

test: deps vet
	$(GO) test $(GOTEST_FLAGS) ./...
	cd examples && $(GO) test $(GOTEST_FLAGS) ./...

demo: deps
	cd examples && $(GO) run ./demo

bench:
	$(GO) test -run='^$$' -bench='Engine|Const|Fake' -benchmem -count=5 ./bench/
	$(GO) test -run='^$$' -bench='Postgres|MySQL' -benchtime=1x -count=3 ./bench/

fmt:
	gofmt -w $$(git ls-files '*.go')
