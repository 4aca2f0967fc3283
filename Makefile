.PHONY: test lint bench bench-import up

# The whole suite on this machine: fresh database, every addon's tests, end-to-end tests.
test:
	bash tests/run.sh

lint:
	pre-commit run --all-files

bench:
	bash tests/bench/run.sh webhook

bench-import:
	bash tests/bench/run.sh import

up:
	docker compose up -d --build
