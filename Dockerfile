# ordertrace as a container: the same `python main.py [flags]` as in the README.
#   docker build -t ordertrace:0.1.0 .
#   docker run --rm ordertrace:0.1.0 --no-export                     # one order, no collector
#   docker run --rm -e OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317 ordertrace:0.1.0 \
#       --duration 300 --rate 200                                    # load mode
# Every runtime dependency is a pinned wheel (requirements.txt): no compiler, no build
# tools, nothing but Python and the app in the image.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir --only-binary=:all: -r requirements.txt \
    && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin ordertrace
COPY main.py ./
COPY simulate/ ./simulate/
# Bytecode compiled once here: the non-root user cannot (and need not) write it at run time.
RUN python -m compileall -q simulate main.py

USER 10001:10001
ENTRYPOINT ["python", "main.py"]
