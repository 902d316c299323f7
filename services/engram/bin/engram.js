#!/usr/bin/env node
// Installed as the `engram` command: builds the service if its sources changed, then runs the CLI.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ensureBuilt = join(__dirname, '..', '..', '..', 'scripts', 'ensure-built.mjs');
if (existsSync(ensureBuilt)) execFileSync(process.execPath, [ensureBuilt], { stdio: ['ignore', 2, 2] });
require('../dist/cli/engram.js');
