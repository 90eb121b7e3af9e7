# SealDesk — build, run and test.
#
# `make run`  installs the missing system packages (Debian/Ubuntu), builds and starts the desktop
#             app with its embedded backend.
# `make test` gofmt check, go vet, the CGO_ENABLED=0 build of the headless binaries, and every test
#             (under xvfb-run when there is no display).

GO       ?= go
BIN      ?= bin
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: building Fyne (cgo + GL/X11 headers), running it under Xvfb, and the
# independent tools the tests check our output with.
BUILD_PKGS := gcc pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev \
              libxi-dev libxxf86vm-dev
TEST_PKGS  := xvfb xauth imagemagick poppler-utils qpdf libnss3-tools openssl \
              postgresql tesseract-ocr tesseract-ocr-chi-sim
FONT_PKGS  := fonts-noto-cjk fonts-noto-cjk-extra fonttools

.PHONY: run test deps test-deps build build-headless vet fmt-check screenshot screenshots \
        windows fonts bench clean

run: deps build
	./$(BIN)/sealdesk

# Installs only what is missing (dpkg -s), so a second run costs nothing.
deps:
	@missing=""; for p in $(BUILD_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

test-deps: deps
	@missing=""; for p in $(TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

build:
	$(GO) build -o $(BIN)/sealdesk .
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

build-headless:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The whole suite. Tests that need a display (screenshots of the real window) find one through
# xvfb-run; everything else uses Fyne's test driver.
test: test-deps fmt-check vet build-headless
	@if [ -n "$$DISPLAY" ]; then $(GO) test -count=1 -timeout 40m ./... ; \
	else xvfb-run -a -s "-screen 0 1280x800x24" $(GO) test -count=1 -timeout 40m ./... ; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

screenshot:
	$(GO) run ./ui/internal/shot -out docs-screenshot.png

screenshots:
	$(GO) run ./ui/internal/shot -all -dir screenshots

windows:
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -ldflags "-H=windowsgui" -o $(BIN)/sealdesk.exe .

fonts:
	./assets/fonts/make-fonts.sh

clean:
	rm -rf $(BIN) screenshots
