# The application image: gateway (gunicorn), action server and RQ workers. Rasa runs from rasa/rasa.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home yici && chown -R yici /app
USER yici
EXPOSE 8000 5055
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "bot.gateway:create_app()"]
