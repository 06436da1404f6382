#!/usr/bin/env bash
# Scaffolds the config files of one workspace project: tools/new-project.sh <dir> <tag> [<tag>...]
# e.g. tools/new-project.sh libs/bench-core type:domain
set -euo pipefail
dir=$1; shift
name=$(basename "$dir")
tags=$(printf '"%s",' "$@"); tags="[${tags%,}]"
depth=$(echo "$dir" | awk -F/ '{print NF}')
up=$(printf '../%.0s' $(seq 1 "$depth"))
mkdir -p "$dir/src"
[ -f "$dir/package.json" ] || cat > "$dir/package.json" <<JSON
{
  "name": "@hwnas/$name",
  "version": "0.1.0",
  "private": true,
  "exports": {
    ".": "./src/index.ts",
    "./internal": "./src/internal.ts"
  }
}
JSON
cat > "$dir/project.json" <<JSON
{
  "name": "$name",
  "\$schema": "${up}node_modules/nx/schemas/project-schema.json",
  "sourceRoot": "$dir/src",
  "projectType": "$( [[ $dir == apps/* ]] && echo application || echo library )",
  "tags": $tags,
  "targets": {
    "typecheck": { "executor": "nx:run-commands", "options": { "command": "tsc --noEmit -p $dir/tsconfig.json" } },
    "lint": { "executor": "nx:run-commands", "options": { "command": "eslint $dir" } },
    "test": { "executor": "nx:run-commands", "options": { "command": "jest -c $dir/jest.config.js" } }
  }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "${up}tsconfig.base.json",
  "include": ["src/**/*.ts", "tests/**/*.ts", "scripts/**/*.ts"]
}
JSON
cat > "$dir/jest.config.js" <<JS
module.exports = {
  ...require('${up}jest.preset.js'),
  displayName: '$name',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  testPathIgnorePatterns: ['\\\\.int\\\\.spec\\\\.ts\$'],
};
JS
echo "scaffolded $dir"
