#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm install` builds it through `prepare`.
import { main } from '../dist/services/cli/src/main.js';

process.exitCode = await main(process.argv.slice(2));
