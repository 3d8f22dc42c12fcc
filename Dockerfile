# factdesk: CPU-only image serving the HTTP API on 0.0.0.0:8000, data in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ORT_DISABLE_TELEMETRY=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    FACTDESK_DATA_DIR=/data \
    FACTDESK_CACHE_DIR=/opt/factdesk

RUN groupadd --gid 10001 factdesk && useradd --create-home --uid 10001 --gid 10001 factdesk \
    && mkdir /data && chown factdesk:factdesk /data

WORKDIR /app
# CPU torch first (the PyPI wheel for Linux pulls CUDA), then factdesk with its pinned torch==2.13.0
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY index ./index
COPY service ./service
COPY seeds ./seeds
COPY training/*.py training/MODEL_CARD.template.md ./training/
# --build-arg EXTRAS=milvus adds the Milvus backend
ARG EXTRAS=""
RUN pip install ".${EXTRAS:+[$EXTRAS]}" && factdesk --help > /dev/null
# the int8 ONNX encoder, exported once at build time instead of at first start; the cache stays the server's to
# write, for the copies of the int8 models with signed weights that a CPU with VNNI or AMX runs faster
RUN python -c "from factdesk.index.embed import exported_encoder; print(exported_encoder())" \
    && chown -R factdesk:factdesk /opt/factdesk

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["factdesk", "serve", "--host", "0.0.0.0", "--port", "8000"]
