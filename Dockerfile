# For platforms that build containers. The image runs the Procfile's commands through bin/run-process:
#   docker build -t battery-text .
#   docker run --rm --env-file .env battery-text release    # migrate, once per deploy
#   docker run -d --env-file .env -p 8000:8000 battery-text web
#   docker run -d --env-file .env battery-text worker
# Building needs PyPI and Debian's mirrors only: the lock pins every package with its hashes, all as wheels.
# --no-deps: pip installs exactly the lock and resolves nothing against the index; pip check proves the set whole.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-deps --require-hashes --only-binary :all: -r requirements.txt && pip check

COPY . .
# Never root at run time; a home for gunicorn's control socket.
RUN useradd --create-home --uid 10001 battery
USER battery

EXPOSE 8000
ENTRYPOINT ["bin/run-process"]
CMD ["web"]
