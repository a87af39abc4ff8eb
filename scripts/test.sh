#!/usr/bin/env bash
# Install what is missing (Java 17, nginx, redis-server, Python venv, tox) and run every tox env in the envlist:
# the fast suite (py311) and live parity against PySpark 3.5 and 4.x.
#   bash scripts/test.sh            all envs
#   bash scripts/test.sh -e py311   any tox arguments
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh
START=$SECONDS
step_start=$SECONDS
timing() { printf '    [%s: %ds]\n' "$1" $((SECONDS - step_start)); step_start=$SECONDS; }

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1
}
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
    say "installing a Java 17 runtime (PySpark needs one for the parity envs)"
    apt_install openjdk-17-jre-headless || exit 1
    if [ -d /usr/lib/jvm/java-17-openjdk-amd64 ] || [ -d /usr/lib/jvm/java-17-openjdk-arm64 ]; then
        JAVA_HOME="$(ls -d /usr/lib/jvm/java-17-openjdk-* | head -n1)"
        export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
    fi
fi
java -version 2>&1 | head -n1
timing "java"

# tests/integration/test_nginx.py runs servelib behind a real nginx (on loopback ports it picks)
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    say "installing nginx (the load-balancer integration test needs it)"
    apt_install nginx-light || apt_install nginx || exit 1
fi
timing "nginx"

# tests/features and tests/monitoring run against a real redis-server (loopback, a free port);
# the Cassandra tests use ../shared/cassandra (needs the Java above) or SERVELIB_TEST_CASSANDRA
if ! command -v redis-server >/dev/null; then
    say "installing redis-server (the feature-store and prediction-log tests need it)"
    apt_install redis-server || exit 1
fi
timing "redis-server"

ensure_venv || exit 1
if ! "$VENV/bin/python" -c 'import tox, sys; sys.exit(int(tox.__version__.split(".")[0]) < 4)' 2>/dev/null; then
    say "pip install tox (into $VENV)"
    "$VENV/bin/python" -m pip install -q 'tox>=4.11' || exit 1
fi
timing "venv + tox"

rm -f .tox/junit-*.xml
if [ $# -eq 0 ]; then
    # The two live-parity envs each retrain every case in their own JVM; running two envs at once
    # overlaps one env's installs with another's tests. Output is shown for failing envs; the
    # per-env counts below come from the JUnit reports.
    say "tox run-parallel -p 2 (envs: $("$VENV/bin/tox" -l | tr '\n' ' '))"
    "$VENV/bin/tox" run-parallel -p 2 --parallel-no-spinner </dev/null
else
    say "tox $*"
    "$VENV/bin/tox" "$@" </dev/null
fi
rc=$?
timing "tox"

# Every env that ran must have passed at least one test: pytest's "no tests collected" (exit 5)
# already fails tox, and an env whose tests were all skipped fails here.
echo "scripts/test.sh: tox exited $rc after $((SECONDS - START))s in all"
"$VENV/bin/python" - <<'PY' || { [ "$rc" -ne 0 ] || rc=1; }
import glob, sys
import xml.etree.ElementTree as ET

totals = {"passed": 0, "failed": 0, "skipped": 0}
ok = True
reports = sorted(glob.glob(".tox/junit-*.xml"))
if not reports:
    print("no JUnit report: no test ran", file=sys.stderr)
    ok = False
for path in reports:
    env = path[len(".tox/junit-"):-len(".xml")]
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in n:
            n[key] += int(suite.get(key, 0))
    failed = n["failures"] + n["errors"]
    passed = n["tests"] - failed - n["skipped"]
    print(f"  {env}: {passed} passed, {failed} failed, {n['skipped']} skipped")
    if passed == 0:
        print(f"  {env}: no test passed (all skipped or none collected)", file=sys.stderr)
        ok = False
    totals["passed"] += passed
    totals["failed"] += failed
    totals["skipped"] += n["skipped"]
print(f"total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
sys.exit(0 if ok else 1)
PY
exit "$rc"
