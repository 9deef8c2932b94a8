#!/bin/sh
# Regenerates the shipped AIBrix profiles with the current timing model, exactly as
# profiles/aibrix/*/README.md describe. Run from the repository root after `npx tsc -p tsconfig.json`:
#   sh scripts/refresh-profiles.sh            # all of them
#   sh scripts/refresh-profiles.sh deepseek   # only profiles/aibrix/deepseek-coder-6.7b
#   sh scripts/refresh-profiles.sh qwen       # only profiles/aibrix/qwen2.5-7b
set -eu
cd "$(dirname "$0")/.."
sim() { node dist/cli/main.js "$@"; }
which=${1:-all}

if [ "$which" = all ] || [ "$which" = deepseek ]; then
  d=profiles/aibrix/deepseek-coder-6.7b
  for g in A10 L20; do
    sim profile aibrix --gpu $g --model DeepSeek-Coder-6.7B --slo tpat=0.05 --percentile 99 \
      --requests 200 --created 1763683200 -o $d/tpat/$g.json
    sim profile aibrix --gpu $g --model DeepSeek-Coder-6.7B --slo tpot=0.05 --percentile 99 \
      --requests 200 --created 1763683200 -o $d/tpot/$g.json
  done
fi

if [ "$which" = all ] || [ "$which" = qwen ]; then
  # tpot here is AIBrix's pooled inter-token gaps (the only TPOT `sim profile aibrix` computes).
  # The profile benchmark runs vLLM-style unified instances: it has no engine option.
  q=profiles/aibrix/qwen2.5-7b
  for g in H800 H20; do
    sim profile aibrix --gpu $g --model Qwen2.5-7B --slo tpot=0.05 ttft=1 --percentile 99 \
      --created 1764633600 -o $q/$g.json
  done
fi
