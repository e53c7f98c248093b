# citygrid web, worker and beat image (docker-compose.yml). Offline-friendly: no CDN at run time.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY citygrid ./citygrid
COPY core ./core
COPY grids ./grids
COPY cases ./cases
COPY hotline ./hotline
COPY patrol ./patrol
COPY field ./field
COPY assessment ./assessment
COPY locale ./locale
COPY manage.py gunicorn.conf.py ./
# Static files collected at build time (hashed and compressed; WhiteNoise serves them at run time).
RUN pip install --no-cache-dir . && python manage.py collectstatic --noinput
ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["gunicorn", "citygrid.wsgi:application"]
