FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv

# Dependencies first, in their own cached layer: only a change of pyproject.toml rebuilds it.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(d['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt

COPY app ./app
COPY engine ./engine
COPY static ./static
COPY templates ./templates
COPY docs ./docs
RUN pip install --no-deps . && rm -rf /srv/*

RUN useradd --create-home --uid 10001 playground
USER playground
WORKDIR /home/playground

# Hosted: -e PLAYGROUND_PUBLIC_URL=https://<its name> (or PLAYGROUND_ALLOWED_HOSTS); behind a reverse proxy also
# -e PLAYGROUND_PROXY_HEADERS=true -e PLAYGROUND_FORWARDED_ALLOW_IPS=<proxy address>. Without them the container
# answers at localhost, 127.0.0.1 and any IP address on port 8000 (README: Hosted setup).
ENV PLAYGROUND_HOST=0.0.0.0 PLAYGROUND_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["playground", "--host", "0.0.0.0", "--port", "8000"]
