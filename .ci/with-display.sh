#!/usr/bin/env bash
# .ci/with-display.sh CMD [ARG...] runs CMD on the display in DISPLAY, or, when there is none, on
# a fresh Xvfb screen (xvfb-run), for the tests that open SealDesk's real window.
if [ -n "${DISPLAY:-}" ]; then
	exec "$@"
fi
echo "    display: none set, running under xvfb-run (1920x1080x24)"
exec xvfb-run -a -s "-screen 0 1920x1080x24" "$@"
