# SealDesk — build, run and test. On a fresh Debian/Ubuntu machine the README's first lines install
# git, make, ca-certificates and Go; these targets install everything else (as root or with sudo).
#
# `make run`  system packages → Go toolchain → Go modules → cgo build of the desktop → start it.
# `make test` system packages → Go toolchain → Go modules → gofmt → go vet → CGO_ENABLED=0 build of
#             the headless binaries → every test, with a throwaway PostgreSQL cluster when
#             SEALDESK_TEST_POSTGRES is not given and under xvfb-run when there is no display,
#             closing with `N passed, N failed, N skipped` and the skip reasons named.
# Every step prints a line when it starts, a line each minute while it runs and the time it took
# (.ci/step.sh). .ci/run (CI) is `SEALDESK_CI=1 make test`: the same steps, the same tests.

GO       ?= go
BIN      ?= bin
BUILD    ?= build
STEP     := .ci/step.sh

# A Go older than go.mod's (e.g. Debian's golang-go) fetches the named toolchain through the Go
# module proxy; Go 1.26 itself never downloads anything here.
GOTOOLCHAIN ?= auto
export GOTOOLCHAIN

# Debian packages: building Fyne (cgo + GL/X11 headers) and fetching Go modules over TLS.
BUILD_PKGS := ca-certificates gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev \
              libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
# Running the real window under Xvfb (Mesa software GL), and the independent tools the tests check
# our output with: poppler (pdfsig, pdftoppm, pdftotext), qpdf, NSS certutil, openssl, ImageMagick,
# tesseract with simplified Chinese (seal title OCR), PostgreSQL (the server store's tests), git,
# SoftHSM2 (the PKCS #11 token of the seal-key vault and of the UKey tests), chromium (the browser
# signing page, driven by chromedp), and D-Bus with gnome-keyring and secret-tool (the personal key
# bound to the OS account, tested against a real Secret Service under dbus-run-session).
TEST_PKGS  := xvfb xauth libgl1-mesa-dri imagemagick poppler-utils qpdf libnss3-tools openssl \
              postgresql tesseract-ocr tesseract-ocr-chi-sim git softhsm2 chromium dbus gnome-keyring \
              libsecret-tools
# jbig2dec: the independent JBIG2 decoder core/jbig2's test compares the invoice QR code with.
TEST_PKGS  += jbig2dec
# mupdf-tools: mutool, the second independent reader core/verify's red-team rows show forgeries in
# (MuPDF reads xref tables, nesting and colour spaces unlike poppler); without it those effect
# checks skip with a message.
TEST_PKGS  += mupdf-tools
# The Windows installer's tools (TestWindowsInstaller): wixl/msitools build and read the MSI,
# osslsigncode signs it, MinGW's windres compiles the resources (preprocessed by MinGW's gcc, whose
# headers give winver.h).
TEST_PKGS  += wixl msitools osslsigncode binutils-mingw-w64-x86-64 gcc-mingw-w64-x86-64-win32
FONT_PKGS  := fonts-noto-cjk fonts-noto-cjk-extra fonttools

TEST_TIMEOUT ?= 40m
# `make test PKGS=./store/postgres/` runs one package the same way.
PKGS ?= ./...
XVFB := xvfb-run -a -s "-screen 0 1920x1080x24"

.PHONY: run test deps test-deps toolchain modules build build-desktop build-headless vet fmt-check \
        screenshot readme-screenshot screenshots windows wine-smoke macos cross-vet fonts bench clean fresh-machine-check

run: deps toolchain modules build-desktop
	./$(BIN)/sealdesk

deps:
	@$(STEP) "apt: build packages" .ci/apt.sh $(BUILD_PKGS)

test-deps:
	@$(STEP) "apt: build and test packages" .ci/apt.sh $(BUILD_PKGS) $(TEST_PKGS)

toolchain:
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see the first lines of README.md"; exit 1; }
	@$(STEP) "Go toolchain (go.mod: $$(sed -n 's/^go //p' go.mod))" $(GO) version

modules:
	@$(STEP) "Go modules: download" $(GO) mod download

build: build-desktop build-headless

# RELEASE_PUBKEY: the release key's public half (base64, `sealctl release keygen` prints it), compiled
# into the desktop so that 设置 › 关于 › 检查更新 accepts manifests signed with it; without it the
# build says it cannot update. Every desktop build (windows, macos too) adds $(RELEASE_LDFLAGS).
RELEASE_PUBKEY ?=
RELEASE_LDFLAGS := $(if $(RELEASE_PUBKEY),-X main.releaseKey=$(RELEASE_PUBKEY))

build-desktop:
	@$(STEP) "build desktop bin/sealdesk (cgo: Fyne + GLFW; the first build takes minutes)" \
	  $(GO) build -ldflags "$(RELEASE_LDFLAGS)" -o $(BIN)/sealdesk .

build-headless:
	@$(STEP) "build headless bin/sealctl bin/sealctl-render bin/sealdesk-server (CGO_ENABLED=0)" \
	  env CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/...

fmt-check:
	@$(STEP) "gofmt" sh -c 'out=$$(gofmt -l $$(git ls-files "*.go" 2>/dev/null || find . -name "*.go")); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi'

vet:
	@$(STEP) "go vet" $(GO) vet ./...

# Windows and macOS without a Windows or a Mac: every package that needs no cgo (all but the
# desktop's Fyne packages) is vetted — tests included — for GOOS=windows and GOOS=darwin, so no
# Linux-only assumption (syscall.Rusage, /proc, …) creeps in. The Fyne packages are built for
# Windows by `make windows` (MinGW) and for macOS by `make macos` on a Mac.
CROSS_PKGS := ./assets/... ./cmd/... ./core/... ./store/...
cross-vet:
	@$(STEP) "go vet GOOS=windows (CGO_ENABLED=0)" env GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)
	@$(STEP) "go vet GOOS=darwin (CGO_ENABLED=0)" env GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)

$(BUILD)/testsummary: .ci/testsummary.go
	@mkdir -p $(BUILD)
	@$(GO) build -o $@ .ci/testsummary.go

# The whole suite (tests and subtests), the same as CI's. Tests that need a display (the real
# window) find one through xvfb-run; everything else uses Fyne's test driver.
test: test-deps toolchain modules fmt-check vet cross-vet build-headless $(BUILD)/testsummary
	@$(STEP) "go test $(PKGS) (raw output: $(BUILD)/test-output.txt)" \
	  .ci/with-postgres.sh .ci/with-display.sh $(BUILD)/testsummary -raw $(BUILD)/test-output.txt -- \
	  $(GO) test -json -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/...

# Every fuzz target under core/, one at a time, 10 minutes each under a memory limit
# (GOMEMLIMIT=1GiB and ulimit -v 4 GiB per process; see scripts/fuzz-long.sh for the knobs:
# FUZZTIME, FUZZ_MEM_MB, FUZZ_ONLY, FUZZ_PARALLEL). Not in CI: about three and a half hours.
.PHONY: fuzz-long
fuzz-long: toolchain modules
	GO=$(GO) ./scripts/fuzz-long.sh

# The open API under load (issue 21): 200 integrators, each its own enterprise and API key,
# create envelopes at once against one server on PostgreSQL; p50/p90/p99 are logged (closed loop,
# paced at OPEN_LOAD_RATE requests/s, default 50, and create-and-send). About 2 minutes.
.PHONY: bench-openapi
bench-openapi: toolchain modules
	.ci/with-postgres.sh env SEALDESK_LONG=1 $(GO) test -count=1 -v -timeout 30m -run '^TestOpenAPILoad$$' ./core/server/

# The real window under Xvfb, captured by the app itself after its first frame (hidden flags),
# showing a generated sample contract (Chinese text in a font the PDF does not embed). The app
# prints the time from start to the first frame and to page 1 shown. softpipe: Mesa's llvmpipe
# hands glReadPixels an empty front buffer under Xvfb. A throwaway config folder keeps the user's
# own settings out of the picture. `make screenshot` writes build/screenshot.png;
# `make readme-screenshot` refreshes the README's picture, assets/screenshot.png (tracked).
SHOT ?= $(BUILD)/screenshot.png

screenshot: deps toolchain modules build-desktop
	@.ci/apt.sh xvfb xauth libgl1-mesa-dri >/dev/null
	@mkdir -p $(dir $(SHOT))
	@tmp=$$(mktemp -d) && $(GO) run ./ui/internal/samplepdf -pages 3 $$tmp/采购合同.pdf && \
	GALLIUM_DRIVER=softpipe XDG_CONFIG_HOME=$$tmp $(XVFB) ./$(BIN)/sealdesk --screenshot $(SHOT) $$tmp/采购合同.pdf; \
	rc=$$?; rm -rf $$tmp; exit $$rc

readme-screenshot:
	@$(MAKE) --no-print-directory screenshot SHOT=assets/screenshot.png

# Every screen and tab in both languages and themes at two sizes (SHOTFLAGS narrows:
# SHOTFLAGS="--shot-langs zh --shot-themes light").
screenshots: deps toolchain modules build
	@.ci/apt.sh xvfb xauth libgl1-mesa-dri openssl >/dev/null
	BIN=$(BIN) ./ui/internal/realwindow/screenshots.sh $(BUILD)/screenshots $(SHOTFLAGS)

# The Windows installer, built here: sealdesk.exe (cgo, MinGW-w64; its icon, version and the
# strings of the .pdf verb as resources from .ci/windows/sealdesk.rc), sealctl.exe and the
# sealctl-render.exe it draws pages with (CGO_ENABLED=0), all Authenticode-signed, packed by
# wixl into bin/SealDesk-$(VERSION)-x64.msi
# (.ci/windows/sealdesk.wxs: per-machine, Start-menu shortcut, 用 SealDesk 验签 for .pdf, major
# upgrade) and the MSI signed too (.ci/windows/sign.sh: SEALDESK_SIGN_PFX or SEALDESK_SIGN_CERT +
# SEALDESK_SIGN_KEY when set, else a throwaway test root in build/windows/testpki; a timestamp
# from SEALDESK_SIGN_TSA when set). The cgo cross-build takes about 6 minutes cold on 2 cores.
VERSION  := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
WINBUILD := $(BUILD)/windows
MSI      := $(BIN)/SealDesk-$(VERSION)-x64.msi
WIN_PKGS := gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 wixl msitools osslsigncode openssl

windows: deps toolchain modules
	@.ci/apt.sh $(WIN_PKGS) >/dev/null
	@mkdir -p $(WINBUILD) $(BIN)
	@$(STEP) "icons from FyneApp.toml's icon" $(GO) run ./assets/iconpack/mkicons.go -ico $(WINBUILD)/sealdesk.ico
	@$(STEP) "Windows resources (windres)" x86_64-w64-mingw32-windres -I $(WINBUILD) \
	  -DVERSION_COMMA=$$(echo $(VERSION) | tr . ,),0 '-DVERSION_STRING=\"$(VERSION)\"' \
	  -O coff -i .ci/windows/sealdesk.rc -o rsrc_windows_amd64.syso
	@$(STEP) "build bin/sealdesk.exe (MinGW-w64)" env CGO_ENABLED=1 GOOS=windows GOARCH=amd64 \
	  CC=x86_64-w64-mingw32-gcc $(GO) build -ldflags "-H=windowsgui $(RELEASE_LDFLAGS)" -o $(BIN)/sealdesk.exe .; \
	  rc=$$?; rm -f rsrc_windows_amd64.syso; exit $$rc
	@$(STEP) "build bin/sealctl.exe bin/sealctl-render.exe (CGO_ENABLED=0)" env CGO_ENABLED=0 GOOS=windows GOARCH=amd64 \
	  $(GO) build -o $(BIN)/ ./cmd/sealctl ./cmd/sealctl-render
	@$(STEP) "sign the executables" .ci/windows/sign.sh $(BIN)/sealdesk.exe $(BIN)/sealctl.exe $(BIN)/sealctl-render.exe
	@$(STEP) "MSI (wixl)" .ci/windows/build-msi.sh $(VERSION) $(BIN) $(WINBUILD)/sealdesk.ico $(MSI)
	@$(STEP) "sign the MSI" .ci/windows/sign.sh $(MSI)
	@if [ -z "$$SEALDESK_SIGN_PFX$$SEALDESK_SIGN_CERT" ]; then for f in $(BIN)/sealdesk.exe $(BIN)/sealctl.exe $(BIN)/sealctl-render.exe $(MSI); do \
	  osslsigncode verify -CAfile $(WINBUILD)/testpki/test-root.pem $${SEALDESK_SIGN_TSA_ROOT:+-TSA-CAfile $$SEALDESK_SIGN_TSA_ROOT} \
	    -in $$f >/dev/null && echo "signature of $$f verified against $(WINBUILD)/testpki/test-root.pem" || exit 1; done; fi

# The Windows build proven under Wine + Xvfb (.ci/wine-smoke.sh): installs the MSI silently into a
# temporary WINEPREFIX, starts SealDesk, captures its window (Chinese home screen; a signed PDF's
# verdict in 文件验签), compares sealctl.exe verify --json with the Linux build's on corpus files,
# uninstalls. Pictures and logs in build/wine-smoke. Not part of `make test` (the cross-build alone
# takes ~6 minutes cold).
wine-smoke: windows build-headless
	@.ci/apt.sh wine wine64 xvfb xauth x11-apps imagemagick gcc-mingw-w64-x86-64-win32 >/dev/null
	@$(STEP) "Wine smoke test (build/wine-smoke)" .ci/wine-smoke.sh $(MSI) $(BUILD)/wine-smoke

# The macOS app bundle, on a Mac (Xcode command-line tools and Go; Apple's SDK cannot be
# cross-compiled to from Linux): build/macos/SealDesk.app with Info.plist from FyneApp.toml and
# icon.icns generated from its icon (.ci/macos/bundle.sh; TestMacBundle checks both on Linux),
# signed ad hoc — or with SEALDESK_MAC_IDENTITY (a "Developer ID Application: …" identity in the
# keychain; notarize the result with xcrun notarytool before handing it out).
macos:
	@[ "$$(uname -s)" = Darwin ] || { echo "make macos runs on a Mac (Apple's SDK): see README, Windows and macOS"; exit 1; }
	@mkdir -p $(BUILD)/macos
	@$(STEP) "build sealdesk for macOS ($$(uname -m))" $(GO) build -ldflags "$(RELEASE_LDFLAGS)" -o $(BUILD)/macos/sealdesk .
	@$(STEP) "bundle build/macos/SealDesk.app" .ci/macos/bundle.sh $(BUILD)/macos/sealdesk $(BUILD)/macos/SealDesk.app
	@$(STEP) "codesign" codesign --force --deep --options runtime -s "$${SEALDESK_MAC_IDENTITY:--}" $(BUILD)/macos/SealDesk.app

# Regenerates the subset fonts in assets/fonts from Debian's Noto CJK packages.
fonts:
	@.ci/apt.sh $(FONT_PKGS)
	./assets/fonts/make-fonts.sh

# The fresh-machine walk: a minimal Debian 13 in a debootstrap chroot follows the README (install
# line, git clone, make test, make run under Xvfb + screenshot). 30–90 minutes; not run by CI.
fresh-machine-check:
	.ci/fresh-machine.sh

clean:
	rm -rf $(BIN) $(BUILD)/testsummary $(BUILD)/test-output.txt $(BUILD)/screenshot.png $(BUILD)/screenshots
