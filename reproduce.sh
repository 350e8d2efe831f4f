#!/usr/bin/env bash
# Reproduce arXiv 2606.26987: the paper profile when a CUDA GPU and the Hugging Face Hub are reachable,
# otherwise the offline demo profile. See ./reproduce.sh --help.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: ./reproduce.sh [--profile demo|paper] [--regenerate-corpora] [--out DIR] [--help]

  --profile demo|paper   force a profile (default: paper if a CUDA GPU and the Hub are reachable, else demo)
  --regenerate-corpora   paper profile only: generate both story corpora from scratch into <out>/corpora/
                         with `emotion-vectors corpus generate`, then run on those local files
  --out DIR              output directory (default: the config's output_dir)
  --help                 this text

examples:
  ./reproduce.sh                       # auto-detect
  ./reproduce.sh --profile demo --out /tmp/ev_demo
USAGE
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
if [[ -x .venv/bin/emotion-vectors ]]; then EV=.venv/bin/emotion-vectors; PY=.venv/bin/python
else EV=emotion-vectors; PY=python3; fi

profile="" regenerate=0 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --profile) profile="${2:?--profile needs demo or paper}"; shift 2 ;;
    --regenerate-corpora) regenerate=1; shift ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [[ -z "$profile" ]]; then
  gpu=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
  hub=0
  if [[ -z "${HF_HUB_OFFLINE:-}" || "${HF_HUB_OFFLINE}" == "0" ]]; then
    if "$PY" -c 'import urllib.request as u; u.urlopen(u.Request("https://huggingface.co", method="HEAD"), timeout=5)' \
      >/dev/null 2>&1; then hub=1; fi
  fi
  if [[ "$gpu" == 1 && "$hub" == 1 ]]; then
    profile=paper; echo "profile: paper (a CUDA GPU and the Hugging Face Hub are reachable)"
  else
    profile=demo
    echo "profile: demo (CUDA GPU: $([[ $gpu == 1 ]] && echo yes || echo no); Hub reachable: $([[ $hub == 1 ]] && echo yes || echo no))"
  fi
else
  echo "profile: $profile (chosen with --profile)"
fi
[[ "$profile" == demo || "$profile" == paper ]] || { echo "--profile must be demo or paper" >&2; exit 2; }

config="configs/$profile.toml"
if [[ -z "$out" ]]; then
  out=$("$PY" -c 'import sys; from emotion_vectors.config import load_config; from emotion_vectors.report.build import output_dir_of; print(output_dir_of(load_config(sys.argv[1]), sys.argv[1]))' "$config")
fi
mkdir -p "$out"

if [[ "$regenerate" == 1 ]]; then
  [[ "$profile" == paper ]] || { echo "--regenerate-corpora needs the paper profile" >&2; exit 2; }
  # Generate both corpora with the paper's settings (each model writes its own stories), then point a copy of
  # the paper config at the local files.
  mkdir -p "$out/corpora"
  # the paper's settings are the generate command's defaults (prompt, topics, sampling, seeds)
  "$EV" corpus generate --model gemma-4-e4b --out "$out/corpora/gemma.jsonl"
  "$EV" corpus generate --model apertus-8b --out "$out/corpora/apertus.jsonl"
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

"$EV" run --config "$config" --out "$out"

echo
echo "results:       $out/results/results.json"
echo "claims report: $out/claims.md (and claims.json)"
if [[ -f "$out/paper.pdf" ]]; then echo "paper PDF:     $out/paper.pdf"; else echo "paper PDF:     not built (see the run output)"; fi
