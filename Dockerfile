# Backprop Playground: `docker build -t playground . && docker run -p 8000:8000 playground` (README: Docker).
# BASE is any Debian-like image with Python >= 3.11 and venv; `make test-image` builds this file on a base made
# with debootstrap (tests/image/base.sh), because Docker Hub is out of its reach.
ARG BASE=python:3.12-slim

# -- build: a virtual environment with the dependencies and the app's wheel --------------------------------------
FROM ${BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
WORKDIR /src
# Dependencies first, in their own cached layer: only a change of pyproject.toml rebuilds it.
COPY pyproject.toml ./
# The `redis` extra too (a small pure-Python client): rooms across replicas when PLAYGROUND_REDIS_URL is set.
RUN /opt/venv/bin/python -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb')); print('\n'.join(d['project']['dependencies'] + d['project']['optional-dependencies']['redis']))" > requirements.txt \
    && /opt/venv/bin/pip install -r requirements.txt
COPY README.md ./
COPY app ./app
COPY engine ./engine
COPY static ./static
COPY templates ./templates
# The wheel (built by hatchling in pip's isolated build environment, which is not kept), then pip itself out of the
# environment: nothing in the final image installs or builds.
RUN /opt/venv/bin/pip install --no-deps . \
    && /opt/venv/bin/pip uninstall -y -q pip setuptools

# -- the image: the base, a non-root user and the environment; no sources, no build tools -------------------------
FROM ${BASE}
RUN useradd --create-home --uid 10001 --user-group playground
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/playground

# Every setting is a PLAYGROUND_* variable (README: Configuration). The image binds every interface on 8000; a hosted
# instance is reached by a name, so give it: -e PLAYGROUND_PUBLIC_URL=https://playground.school.example, and behind a
# reverse proxy also -e PLAYGROUND_PROXY_HEADERS=true -e PLAYGROUND_FORWARDED_ALLOW_IPS=<proxy address>. Without
# them the container answers at localhost, 127.0.0.1 and any IP address, on the port it binds (README: Hosted setup).
ENV PLAYGROUND_HOST=0.0.0.0 PLAYGROUND_PORT=8000
EXPOSE 8000
# Asks the port and address the server binds (PLAYGROUND_PORT, PLAYGROUND_HOST), never through an HTTP proxy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; h = os.environ.get('PLAYGROUND_HOST', '').strip('[]'); h = {'': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1'}.get(h, h); h = f'[{h}]' if ':' in h else h; r = u.build_opener(u.ProxyHandler({})).open(f\"http://{h}:{os.environ.get('PLAYGROUND_PORT', '8000')}/healthz\", timeout=4); sys.exit(0 if r.status == 200 else 1)"]
# One uvicorn worker per CPU the container may run on, unless PLAYGROUND_WORKERS says otherwise; `exec` leaves the
# server as PID 1, so `docker stop`'s SIGTERM reaches it (sessions get close 1012, exit within
# PLAYGROUND_SHUTDOWN_GRACE). Logs go to stdout/stderr.
CMD ["sh", "-c", "exec playground --workers \"${PLAYGROUND_WORKERS:-$(nproc)}\""]
