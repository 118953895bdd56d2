//! The tests that need what a developer's machine seldom has — root, the
//! test hosts of `scripts/hosts.sh`, Debian's `chromium` — are
//! `#[ignore]`d with what they need, so that `cargo test` counts them as
//! ignored and says why, rather than pass them without running them.
//! `.ci/run` has all of it, and runs them with `-- --include-ignored`;
//! asked for, such a test fails when what it needs is missing.

/// Under `CI=true` the ignored tests must run too: a CI that left them out
/// would pass without ever starting a painter on another host.
#[test]
fn under_ci_the_ignored_tests_run_too() {
    let asked = std::env::args().any(|arg| arg == "--include-ignored" || arg == "--ignored");
    assert!(
        asked || !crate::support::in_ci(),
        "CI=true, yet the tests that need root, the test hosts or chromium were left out: \
         run `cargo test --workspace -- --include-ignored`, as .ci/run does"
    );
}
