# emotion-vectors: the pinned GPU container of the artifact.
#   docker build -t emotion-vectors:0.1.0 .
#   docker run --rm --gpus all -e HF_TOKEN -v $HOME/.cache/huggingface:/home/ev/.cache/huggingface \
#     -v $PWD/outputs:/work/outputs emotion-vectors:0.1.0 --out /work/outputs/reproduce
# The base image's torch version must equal requirements-torch.txt (tests/test_packaging.py checks it).
FROM pytorch/pytorch:2.13.0-cuda12.8-cudnn9-runtime

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HOME=/home/ev/.cache/huggingface \
    EMOTION_VECTORS_CACHE=/home/ev/.cache/emotion-vectors

# TeX Live + latexmk build the paper inside the image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make latexmk texlive-latex-base texlive-latex-recommended \
      texlive-latex-extra texlive-fonts-recommended lmodern \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 ev
WORKDIR /work

# Dependencies first (cached layer): every package pinned with its hash; torch comes from the base image.
COPY requirements.lock requirements-torch.txt ./
RUN python -m pip install --require-hashes --no-deps -r requirements.lock \
 && python -c "import torch, sys; want = open('requirements-torch.txt').read().split('==')[1].strip(); sys.exit(torch.__version__.split('+')[0] != want)"

COPY --chown=ev:ev . /work
RUN python -m pip install --no-deps --no-build-isolation -e . && chown -R ev:ev /work

USER ev
RUN mkdir -p /home/ev/.cache/huggingface /home/ev/.cache/emotion-vectors
VOLUME ["/home/ev/.cache/huggingface", "/work/outputs"]

ENTRYPOINT ["/work/reproduce.sh"]
