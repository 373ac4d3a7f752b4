#!/bin/sh
# Run one unit test binary (Criterion, or tests/unit/mini-criterion) with
# TAP on stdout, for automake's tap-driver (so "make check" counts each
# Test(), not each binary).
test_binary="$1"
shift
exec "$test_binary" --tap=- "$@"
