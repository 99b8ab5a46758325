# filmclub in a container: one bot process (one shard, or the shards FILMCLUB_SHARD_IDS
# names), its settings from the environment. compose.yaml runs several on PostgreSQL.
# Checked statically by tests/deploy/test_deploy_files.py (no image was built here).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home filmclub

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
# The PostgreSQL store's driver (asyncpg) comes with the `postgres` extra.
RUN pip install ".[postgres]"
COPY data/articles ./data/articles

# Settings that suit a container; the rest (DISCORD_TOKEN, FILMCLUB_DB...) come from
# the environment compose gives (.env.example lists every one).
ENV FILMCLUB_ARTICLES=/app/data/articles \
    FILMCLUB_METRICS_PORT=9464 \
    FILMCLUB_METRICS_HOST=0.0.0.0
EXPOSE 9464

USER filmclub
# 200 only when every shard of the process is connected and the store is writing.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4).status != 200)"]
# SIGTERM (docker stop) writes what the bot holds and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["filmclub"]
CMD ["run"]
