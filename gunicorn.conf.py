"""The gateway's gunicorn settings, read from the working directory by every way Yici starts it
(Procfile under `make run`, the Dockerfile, docker-compose); the bind address stays on each command line.

A chat request holds its thread for the whole Rasa turn, so there are more threads than concurrent chat
turns are expected to need: /sms/inbound and the page's polling never wait behind slow turns. A waiting
thread holds no database connection (bot/gateway/routing.py), so the pool (core/db.py) is not the limit.
"""
workers = 2
threads = 16
