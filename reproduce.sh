#!/usr/bin/env bash
# Reproduce arXiv 2606.26987 at the most complete tier this machine can run: the paper profile with a CUDA GPU
# and the Hugging Face Hub, corpus-cpu (the published corpora, small encoder) with the Hub only, the demo
# offline. A preflight checks the machine before anything is downloaded. See ./reproduce.sh --help.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: ./reproduce.sh [--profile demo|corpus-cpu|paper] [--dry-run] [--regenerate-corpora] [--out DIR] [--help]

  --profile P            force a tier (default: paper with a CUDA GPU and the Hub, corpus-cpu with the Hub
                         only, demo offline)
  --dry-run              print the tier it would pick, the preflight and the plan; run nothing, download nothing
  --regenerate-corpora   paper profile only: generate both story corpora from scratch into <out>/corpora/
                         with `emotion-vectors corpus generate`, then run on those local files
  --out DIR              output directory (default: the config's output_dir)
  --help                 this text

The preflight (`emotion-vectors preflight --config ...`) runs first; a blocker stops the run with a fix line.
EMOTION_VECTORS_ASSUME_GPU=0|1 and EMOTION_VECTORS_ASSUME_HUB=0|1 replace detection; HF_HUB_OFFLINE=1 means
no Hub.

examples:
  ./reproduce.sh                       # auto-detect
  ./reproduce.sh --dry-run             # which tier, what it needs, what it would do
  ./reproduce.sh --profile demo --out /tmp/ev_demo
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY="${PYTHON:-python3}"; fi
EV=("$PY" -m emotion_vectors.cli)

profile="" regenerate=0 out="" dry_run=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile="${2:?--profile needs demo, corpus-cpu or paper}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --regenerate-corpora) regenerate=1; shift ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

# The decision is emotion_vectors.tiers.choose_tier, a pure function of the detected facts: line 1 is the
# config, line 2 the one-line reason.
choice=$("$PY" -m emotion_vectors.tiers ${profile:+--profile "$profile"}) || exit 2
config=$(sed -n 1p <<<"$choice")
sed -n 2p <<<"$choice"
profile=$(basename "$config" .toml)

if [[ -z "$out" ]]; then
  out=$("$PY" -c 'import sys; from emotion_vectors.config import load_config; from emotion_vectors.resources import resolve_output_dir; print(resolve_output_dir(load_config(sys.argv[1]).output_dir, sys.argv[1]))' "$config")
fi

if [[ "$dry_run" == 1 ]]; then
  "${EV[@]}" preflight --config "$config" --out "$out" || echo "(the preflight found blockers; a real run would stop here)"
  echo
  "${EV[@]}" run --config "$config" --out "$out" --dry-run
  exit 0
fi
if ! "${EV[@]}" preflight --config "$config" --out "$out"; then
  echo "stopped before any download: fix the blockers above, or choose another tier with --profile" >&2
  exit 1
fi
mkdir -p "$out"

if [[ "$regenerate" == 1 ]]; then
  [[ "$profile" == paper ]] || { echo "--regenerate-corpora needs the paper profile" >&2; exit 2; }
  # Generate both corpora with the paper's settings (each model writes its own stories), then point a copy of
  # the paper config at the local files.
  mkdir -p "$out/corpora"
  # the paper's settings are the generate command's defaults (prompt, topics, sampling, seeds)
  "${EV[@]}" corpus generate --model gemma-4-e4b --out "$out/corpora/gemma.jsonl"
  "${EV[@]}" corpus generate --model apertus-8b --out "$out/corpora/apertus.jsonl"
  local_config="$out/corpora/paper-local.toml"
  "$PY" - "$config" "$out/corpora" "$local_config" <<'PYEOF'
import re, sys
from pathlib import Path
src, corpora, dst = Path(sys.argv[1]), Path(sys.argv[2]).resolve(), Path(sys.argv[3])
text = src.read_text(encoding="utf-8")
text = re.sub(r'(?m)^output_dir\s*=.*$', f'output_dir = "{corpora.parent.resolve()}"', text)
def local(match):
    name = match.group(1)
    return f'[[corpora]]\nname = "{name}"\nsource = "local"\npath = "{corpora / (name + ".jsonl")}"\n'
text = re.sub(r'\[\[corpora\]\]\s*\nname\s*=\s*"(\w+)"\n(?:(?!\[)[^\n]*\n)*', local, text)
dst.write_text(text, encoding="utf-8")
PYEOF
  config="$local_config"
fi

"${EV[@]}" run --config "$config" --out "$out"

echo
echo "results:       $out/results/results.json"
echo "claims report: $out/claims.md (and claims.json)"
if [[ -f "$out/paper.pdf" ]]; then echo "paper PDF:     $out/paper.pdf"; else echo "paper PDF:     not built (see the run output)"; fi
