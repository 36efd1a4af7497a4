# CPU image for the argstance service. Build: docker build -t argstance .
# Run: docker run -p 8000:8000 argstance   (set ARGSTANCE_API_KEY to protect train/activate)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 ARGSTANCE_REGISTRY=/data/registry
WORKDIR /app

# Dependencies first, in their own layer, so source edits do not reinstall torch.
# torch is pinned to the CPU build; an unpinned torch pulls a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
RUN mkdir -p service models training eval \
    && touch service/__init__.py models/__init__.py training/__init__.py eval/__init__.py \
    && pip install . && pip uninstall -y argstance

COPY service ./service
COPY models ./models
COPY training ./training
COPY eval ./eval
RUN pip install --no-deps . && useradd --create-home argstance && mkdir -p /data/registry \
    && chown argstance /data/registry
USER argstance
VOLUME ["/data/registry"]
EXPOSE 8000
# 0.0.0.0 inside the container; publish the port deliberately and set ARGSTANCE_API_KEY.
CMD ["argstance", "serve", "--host", "0.0.0.0", "--port", "8000"]
