# citygrid web, worker and beat image (docker-compose.yml). Offline-friendly: no CDN at run time.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY citygrid ./citygrid
COPY grids ./grids
COPY cases ./cases
COPY hotline ./hotline
COPY assessment ./assessment
COPY locale ./locale
COPY manage.py ./
RUN pip install --no-cache-dir . && python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "citygrid.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
