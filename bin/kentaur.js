#!/usr/bin/env node
'use strict';
// The `kentaur` command. The implementation is compiled from apps/cli; `npm run build` produces it.
try {
  require.resolve('../apps/cli/dist/main.js');
} catch {
  process.stderr.write('kentaur: not built yet. Run `npm run build` (npm start does this for you).\n');
  process.exit(1);
}
require('../apps/cli/dist/main.js');
