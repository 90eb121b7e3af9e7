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
TEST_PKGS  := xvfb xauth libgl1-mesa-dri imagemagick poppler-utils qpdf libnss3-tools openssl \
              postgresql tesseract-ocr tesseract-ocr-chi-sim
FONT_PKGS  := fonts-noto-cjk fonts-noto-cjk-extra fonttools

.PHONY: run test deps test-deps build build-desktop build-headless vet fmt-check screenshot screenshots \
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

build: build-desktop
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

build-desktop:
	$(GO) build -o $(BIN)/sealdesk .

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

# The real window under Xvfb, captured by the app itself after its first frame (hidden flags),
# showing a generated sample contract (Chinese text in a font the PDF does not embed). The app
# prints the time from start to the first frame and to page 1 shown. softpipe: Mesa's llvmpipe
# hands glReadPixels an empty front buffer under Xvfb. A throwaway config folder keeps the user's
# own settings out of the picture.
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"

screenshot: deps build-desktop
	@command -v xvfb-run >/dev/null || { $(SUDO) apt-get install -y -q xvfb xauth; }
	tmp=$$(mktemp -d) && $(GO) run ./ui/internal/samplepdf -pages 3 $$tmp/采购合同.pdf && \
	GALLIUM_DRIVER=softpipe XDG_CONFIG_HOME=$$tmp $(XVFB) ./$(BIN)/sealdesk --screenshot assets/screenshot.png $$tmp/采购合同.pdf; \
	rc=$$?; rm -rf $$tmp; exit $$rc

screenshots: deps build
	@command -v xvfb-run >/dev/null || { $(SUDO) apt-get install -y -q xvfb xauth; }
	BIN=$(BIN) ./ui/internal/realwindow/screenshots.sh screenshots $(SHOTFLAGS)

# Cross-builds the Windows .exe with MinGW-w64 (installed here if missing).
windows: deps
	@command -v x86_64-w64-mingw32-gcc >/dev/null || { $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q gcc-mingw-w64-x86-64-win32; }
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	  $(GO) build -ldflags "-H=windowsgui" -o $(BIN)/sealdesk.exe .

# Regenerates the subset fonts in assets/fonts from Debian's Noto CJK packages.
fonts:
	@missing=""; for p in $(FONT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi
	./assets/fonts/make-fonts.sh

clean:
	rm -rf $(BIN) screenshots
