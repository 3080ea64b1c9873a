# The two commands of the README. Each sets up what is missing, then does its job.
.PHONY: run test

DATA_DIR ?= $(or $(FLAGSHOP_DATA_DIR),$(HOME)/.local/share/flagshop)

run:
	scripts/setup.sh run
	cargo build --release --bin flagshop
	target/release/flagshop --data-dir "$(DATA_DIR)" init
	target/release/flagshop --data-dir "$(DATA_DIR)" products list

test:
	scripts/setup.sh test
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo test --all-targets
