# The two commands of the README. Each sets up what is missing, then does its job.
.PHONY: run test dist test-dist

# The shop the app opens: FLAGSHOP_DATA_DIR if set, else the platform's data directory.
DATA_DIR ?= $(or $(FLAGSHOP_DATA_DIR),$(HOME)/.local/share/flagshop)

run:
	scripts/setup.sh run
	npm --prefix ui run build
	cargo build --release -p flagshop-desktop
	FLAGSHOP_DATA_DIR="$(DATA_DIR)" scripts/run-app.sh

# The suites that talk to a Stripe server: run once against plain localstripe (with every
# other test) and once more against the test server in today's-Stripe mode.
STRIPE_SUITES = --test stripe --test checkout --test order_actions --test webhooks \
	--test stripe_config --test cli --test lab --test test_orders

# One build from scratch: incremental caches would only cost disk.
test: export CARGO_INCREMENTAL = 0
test:
	scripts/setup.sh test
	npm --prefix ui run build
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace --all-targets
	.venv/localstripe/bin/python scripts/check_stripe_today.py
	FLAGSHOP_STRIPE_MODE=today cargo test -p flagshop $(STRIPE_SUITES)
	scripts/check-bindings.sh
	scripts/check-ui-rules.sh
	bash prototypes/postgres-reservations/run.sh
	npm --prefix ui run check
	npm --prefix ui test
	timeout 900 cargo test -p flagshop-desktop --test e2e -- --ignored --test-threads=1
	$(MAKE) test-dist

# The release packages (a .deb; AppImage would download tools while bundling): the app, the
# flagshop CLI, icons, the .desktop entry. Tauri's bundler comes from ui's npm packages.
dist:
	scripts/setup.sh test
	npm --prefix ui run build
	# The whole workspace in one build, so that the CLI and the app share one set of features
	# and the bundler's own build of the app finds it done.
	cargo build --release --workspace
	cd src-tauri && ../ui/node_modules/.bin/tauri build --bundles deb

# Installs the .deb and starts it as an owner would (as root; otherwise checks its contents).
test-dist: dist
	scripts/test-dist.sh

