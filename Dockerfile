# One image for the web, worker and beat processes (they differ by command only).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=onprovence.settings ONPROVENCE_VAR_DIR=/var/lib/onprovence

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg gettext fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python manage.py compilemessages -v0 \
 && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
 && useradd --system --home /app onprovence \
 && mkdir -p /var/lib/onprovence/mail && chown -R onprovence /var/lib/onprovence

USER onprovence
EXPOSE 8000
CMD ["gunicorn", "onprovence.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
