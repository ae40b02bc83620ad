#!/usr/bin/env bash
# check_linked_libraries.sh BINARY NAME...: fails when BINARY loads a shared library whose file name starts
# with one of the NAMEs (case-insensitive), directly or through another library, as ldd resolves them.
set -euo pipefail
binary=$1
shift
if [ ! -x "$binary" ]; then
  echo "$binary: no such executable; build it first" >&2
  exit 1
fi
libraries=$(ldd "$binary" | awk '{print $1}' | sed 's#.*/##')
# A list without libc means ldd did not read the binary, and an empty list would pass vacuously.
if ! grep -q '^libc\.so' <<<"$libraries"; then
  echo "cannot list the shared libraries of $binary" >&2
  exit 1
fi
status=0
for name in "$@"; do
  if found=$(grep -i "^${name}" <<<"$libraries"); then
    echo "$binary must not load ${name}*, but loads: $(tr '\n' ' ' <<<"$found")" >&2
    status=1
  fi
done
if [ "$status" -eq 0 ]; then echo "$binary loads none of: $*"; fi
exit "$status"
