#!/usr/bin/env bash
# .ci/step.sh LABEL CMD [ARG...] runs one step of `make run` / `make test` / .ci/run: a line when it
# starts, a line each minute while it runs (so a long apt or cgo step is never silent), and a line
# with the time it took. Exits with CMD's status.
label=$1
shift
t0=$(date +%s%N)
secs() { local ms=$((($(date +%s%N) - t0) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
echo "==> $label"
"$@" &
pid=$!
while :; do
	sleep 60 &
	sl=$!
	wait -n "$pid" "$sl" 2>/dev/null
	if kill -0 "$pid" 2>/dev/null; then
		echo "    … $label: still running after $(secs)"
		continue
	fi
	kill "$sl" 2>/dev/null
	wait "$sl" 2>/dev/null
	break
done
wait "$pid"
rc=$?
if [ "$rc" = 0 ]; then
	echo "<== $label: $(secs)"
else
	echo "<== $label: FAILED (exit $rc) after $(secs)"
fi
exit "$rc"
