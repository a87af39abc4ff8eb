# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run): find Python 3.11+, install
# what a fresh Debian machine lacks, and keep one project venv in .venv.

export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
VENV="${VENV:-.venv}"

say() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root to run: $*" >&2; return 1; fi
}

APT_UPDATED=""
apt_install() {
    command -v apt-get >/dev/null || { echo "please install: $*" >&2; return 1; }
    if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    as_root apt-get install -y -qq --no-install-recommends "$@" </dev/null
}

find_python() {
    local cand
    for cand in python3.11 python3 python; do
        if command -v "$cand" >/dev/null &&
            "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$cand"
            return 0
        fi
    done
    echo "servelib needs Python 3.11 or newer on PATH" >&2
    return 1
}

# Create (or repair) the venv; Debian splits venv/ensurepip into python3-venv.
ensure_venv() {
    local py
    py="$(find_python)"
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        return 0
    fi
    if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
        say "installing python3-venv"
        local minor
        minor="$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python${minor}-venv" || apt_install python3-venv
    fi
    say "creating $VENV with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    printf '*\n' >"$VENV/.gitignore" # keep the venv out of git without touching .gitignore
    "$VENV/bin/python" -m pip install -q --upgrade pip
}

# pip install -e ".[server]" into the venv (the demo serves over gRPC and HTTP), again only when
# the packaging files changed.
install_servelib() {
    local stamp="$VENV/.servelib-install" want
    want="$(cat setup.cfg pyproject.toml | cksum)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$VENV/bin/python" -c 'import servelib' 2>/dev/null; then
        return 0
    fi
    say "pip install -e .[server] (into $VENV)"
    "$VENV/bin/python" -m pip install -q -e ".[server]" && printf '%s' "$want" >"$stamp"
}
