#!/usr/bin/env bash
# A release with the site in maintenance (KeyValueStore toggle), for any CI or a laptop.
#
# `--until 2h` ends maintenance by itself if this script never gets to `disable` (a killed
# runner); the trap, set before `enable`, ends it as soon as the migration is done, failed
# or interrupted. Neither touches the distribution: they write the store key only.
set -euo pipefail
config="${CFFUNC_CONFIG:-cffunc.toml}"

trap 'status=$?; cffunc -c "$config" disable --wait || echo "cffunc disable failed: run it by hand" >&2; exit $status' EXIT

cffunc -c "$config" enable --wait --until 2h --reason "${REASON:-Upgrading the database}"
"${MIGRATION:-./migrate.sh}"
