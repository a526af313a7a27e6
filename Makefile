# Yici. The two commands that matter: `make run` (the whole system) and `make test` (the whole suite).
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: run test bootstrap migrate train kb-eval nlu-eval bench lint-sms compose-check clean

run: bootstrap
	$(PY) -m devtools.run

test: bootstrap
	$(PY) -m pytest

bootstrap:
	@./scripts/bootstrap.sh

migrate: bootstrap
	$(PY) -c "from core.db import migrate; migrate()"

train: bootstrap
	$(PY) -m devtools.rasa_stack train

kb-eval: bootstrap
	$(PY) -m knowledge.eval

nlu-eval: bootstrap
	$(PY) -m devtools.nlu_eval

bench: bootstrap
	$(PY) -m bench

lint-sms: bootstrap
	$(PY) -m notify lint

compose-check:
	docker-compose -f docker-compose.yml config -q

clean:
	rm -rf .venv .venv-rasa .stamps models var/Procfile
