#!/usr/bin/env bash
# A maintenance window around a migration, written by `cffunc init`.
#
# The trap is set before `cffunc enable`, so that whatever happens after it (a failed or
# half-done enable, a failed migration, Ctrl-C, a cancelled CI job) the site is taken out
# of maintenance again: `cffunc disable` removes exactly what enable added and is safe to
# run when nothing is enabled.
set -euo pipefail
cd "$(dirname "$0")"

trap 'status=$?; cffunc disable --wait || echo "cffunc disable failed: run it by hand" >&2; exit $status' EXIT

cffunc enable --wait

# Your migration goes here; a failure ends the script and the trap disables.
"${MIGRATION:-./migrate.sh}"
