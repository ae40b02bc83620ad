#!/usr/bin/env bash
# Fails when a C++ file of the tree differs from what .clang-format makes of it, or a line of it is longer
# than 120 columns; prints the files to fix. `clang-format -i FILE` fixes the first kind.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null || find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' \) -print)
status=0
clang-format --dry-run -Werror "${files[@]}" || status=1
long=$(awk 'length > 120 { print FILENAME ":" FNR ": " length " columns" }' "${files[@]}")
if [ -n "$long" ]; then
  echo "lines over 120 columns:" >&2
  echo "$long" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "format: ${#files[@]} files follow .clang-format"
exit "$status"
