# syntax=docker/dockerfile:1
# The Brinkwatch worker image: `docker build -t brinkwatch:0.1.0 .`
#   docker run --rm brinkwatch:0.1.0 --help
#   docker run --rm -e BRINKWATCH_BOOTSTRAP_SERVERS=kafka:9092 brinkwatch:0.1.0 worker
#
# The project is installed *editable* (pip install -e /app) in the builder and
# the source tree is copied to the same path, /app, in the final stage: the code
# finds its JSON Schemas at <repo root>/schemas (Path(pipeline.__file__).parent.parent),
# which only holds when pipeline/ is imported from /app/pipeline, not from
# site-packages. The editable finder in the venv maps `pipeline` to /app/pipeline.

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---- builder: compilers live here only --------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# The compilers build the Cython-compiled taggers (setup.py), and any dependency
# that has no wheel for the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# README.md* matches nothing until there is a README; pyproject.toml always exists.
COPY pyproject.toml setup.py README.md* ./
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY seeds ./seeds

RUN pip install --upgrade pip setuptools wheel \
 && pip install -e /app \
 && rm -rf /app/build \
 && python -m compileall -q /app/pipeline \
 && python -c "import pipeline.tagging as t; s = t.build_info(); assert set(s.values()) == {'compiled'}, s" \
 && brinkwatch --help >/dev/null \
 && python -c "import pipeline.serde as s; assert (s.SCHEMA_DIR / 'article.schema.json').is_file(), s.SCHEMA_DIR"

# ---- runtime: the venv and the source tree, no compilers --------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BRINKWATCH_METRICS_PORT=9108 \
    BRINKWATCH_DATA_DIR=/var/lib/brinkwatch

RUN groupadd --system --gid 10001 brinkwatch \
 && useradd --system --uid 10001 --gid brinkwatch --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin brinkwatch \
 && mkdir -p /var/lib/brinkwatch \
 && chown brinkwatch:brinkwatch /var/lib/brinkwatch

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

WORKDIR /app
USER brinkwatch:brinkwatch

EXPOSE 9108 8088

ENTRYPOINT ["brinkwatch"]
CMD ["worker"]
