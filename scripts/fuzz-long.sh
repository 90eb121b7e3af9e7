#!/bin/sh
# fuzz-long: run every fuzz target under core/ (or FUZZ_DIRS) ONE AT A TIME for FUZZTIME each,
# each process under a memory limit, and print one line per target (execs, result). Not in CI
# (`make fuzz-long`: 10 minutes per target, about three hours in all).
#
# The memory limit is two-fold and needs no cgroup: GOMEMLIMIT (soft: the garbage collector
# works harder near it) and `ulimit -v` (hard, per process, inherited by the fuzzing workers:
# an input that needs more address space makes the worker die with "out of memory", which the
# fuzzing engine reports as a failure and keeps under the package's testdata/fuzz).
#
#   FUZZTIME=10m          time per target
#   FUZZ_MEM_MB=4096      ulimit -v per process, in MiB (Go reserves address space lazily;
#                         below about 1 GiB the runtime itself may fail to start)
#   GOMEMLIMIT=1GiB       the soft limit
#   FUZZ_PARALLEL=1       fuzzing workers per target (the machine is shared)
#   FUZZ_MINIMIZE=100x    -fuzzminimizetime: Go's default (60 s per new interesting input)
#                         stalls targets whose inputs are slow (a CMS with an RSA signature):
#                         execs stopped at 5 for a whole minute while the worker minimized
#   FUZZ_ONLY=regexp      only targets whose "dir.FuzzName" matches
#   FUZZ_DIRS="core"      where to look for func Fuzz…
#   FUZZ_OUT=/tmp/sealdesk-fuzz   logs and compiled test binaries
set -u
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m}
FUZZ_MEM_MB=${FUZZ_MEM_MB:-4096}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}
FUZZ_MINIMIZE=${FUZZ_MINIMIZE:-100x}
FUZZ_ONLY=${FUZZ_ONLY:-.}
FUZZ_DIRS=${FUZZ_DIRS:-core}
FUZZ_OUT=${FUZZ_OUT:-/tmp/sealdesk-fuzz}
GO=${GO:-go}
export GOMEMLIMIT=${GOMEMLIMIT:-1GiB}
mkdir -p "$FUZZ_OUT"
rm -f "$FUZZ_OUT/failed"
summary="$FUZZ_OUT/summary.txt"
: >"$summary"
fail=0
# "dir FuzzName" for every fuzz target.
targets=$(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' $FUZZ_DIRS | sed 's|/[^/]*_test.go:func | |' | sort -u)
echo "$targets" | while read -r dir name; do
	[ -n "$dir" ] || continue
	echo "$dir.$name" | grep -Eq "$FUZZ_ONLY" || continue
	bin="$FUZZ_OUT/$(echo "$dir" | tr / _).test"
	if [ ! -x "$bin" ] || [ -n "$(find "$dir" -maxdepth 1 -name '*.go' -newer "$bin" 2>/dev/null | head -1)" ]; then
		# -fuzz at build time adds the coverage instrumentation the engine needs.
		if ! $GO test -c -fuzz="^$name\$" -o "$bin" "./$dir" >"$FUZZ_OUT/build.log" 2>&1; then
			echo "$dir $name BUILD FAILED (see $FUZZ_OUT/build.log)" | tee -a "$summary"
			echo 1 >"$FUZZ_OUT/failed"
			continue
		fi
	fi
	log="$FUZZ_OUT/$(echo "$dir" | tr / _).$name.log"
	start=$(date +%s)
	(
		cd "$dir" || exit 1
		ulimit -v $((FUZZ_MEM_MB * 1024)) || exit 1
		exec "$bin" -test.run='^$' -test.fuzz="^$name\$" -test.fuzztime="$FUZZTIME" \
			-test.fuzzminimizetime="$FUZZ_MINIMIZE" -test.parallel="$FUZZ_PARALLEL" \
			-test.fuzzcachedir="$FUZZ_OUT/cache"
	) >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ $rc -eq 0 ]; then
		res=ok
	else
		res="FAIL rc=$rc: $(grep -m1 -E 'panic|out of memory|Failing input|--- FAIL|fuzz: elapsed' "$log" | cut -c1-160)"
		echo 1 >"$FUZZ_OUT/failed"
	fi
	echo "$dir $name ${secs}s execs=${execs:-?} $res" | tee -a "$summary"
done
if [ -f "$FUZZ_OUT/failed" ]; then
	rm -f "$FUZZ_OUT/failed"
	echo "fuzz-long: failures; logs in $FUZZ_OUT, failing inputs under each package's testdata/fuzz"
	exit 1
fi
echo "fuzz-long: all targets ran without a failure (logs in $FUZZ_OUT)"
