#!/usr/bin/env bash
# Your migration (written by `cffunc init` as a placeholder): replace this line.
echo "migrating..."
