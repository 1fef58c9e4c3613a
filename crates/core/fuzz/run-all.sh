#!/usr/bin/env bash
# Seeds the corpus from tests/provider-samples/ and runs every fuzz target for SECONDS each
# (default 300), PARALLEL at a time (default 2). Not part of `cargo test` or CI.
# Usage (from anywhere): crates/core/fuzz/run-all.sh [SECONDS] [PARALLEL] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
parallel="${2:-2}"
# cargo-fuzz needs nightly flags (-Zsanitizer); on a stable toolchain they are unlocked here.
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
"./target/x86_64-unknown-linux-gnu/release/seed"
mkdir -p logs
targets=(sse decode_openai decode_anthropic decode_gemini decode_cohere stream_openai stream_anthropic stream_gemini stream_cohere)
if [ "$#" -gt 2 ]; then targets=("${@:3}"); fi
printf '%s\n' "${targets[@]}" | xargs -P "$parallel" -I{} sh -c \
  "cargo fuzz run -O {} -- -max_total_time=$seconds -max_len=16384 -timeout=10 > logs/{}.log 2>&1 \
   && echo '{}: ok' || echo '{}: FAILED (see crates/core/fuzz/logs/{}.log and artifacts/{}/)'"
for t in "${targets[@]}"; do
  printf '%-18s %s\n' "$t" "$(grep -E '^Done [0-9]+ runs' "logs/$t.log" || echo 'no summary (crashed?)')"
done
