#!/usr/bin/env bash
# The project's hard rules, checked mechanically (see shared/DESIGN.md). Run by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=0
fail() { echo "rule broken: $*"; failed=1; }

grep -Eq '^[^/]*\.package\(' Package.swift && fail "Package.swift names a package dependency"
if grep -rEn '^\s*(@_exported\s+)?(public |package |internal )?import (Foundation|FoundationNetworking)$' Sources; then
  fail "Sources import Foundation or FoundationNetworking; use FoundationEssentials"
fi
# Every @unchecked Sendable needs a comment nearby that says what makes it safe.
while IFS=: read -r file line _; do
  start=$((line > 12 ? line - 12 : 1))
  sed -n "${start},${line}p" "$file" | grep -Eqi 'safe|confined|one owner|one consumer|serialis|lock|isolation' \
    || fail "$file:$line: @unchecked Sendable without a comment saying what makes it safe"
done < <(grep -rn '@unchecked Sendable' Sources)
git ls-files | grep -Eq '(^|/)(Package\.resolved|\.build[^/]*/)' && fail "Package.resolved or a .build folder is tracked"
if ! swift-format lint --strict --recursive Package.swift Sources Tests >/dev/null 2>&1; then
  fail "swift-format lint reports problems (run make lint, then make format)"
fi
[ $failed -eq 0 ] && echo "hard rules: ok"
exit $failed
