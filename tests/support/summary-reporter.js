'use strict';
// Prints one plain closing line after all projects ran, e.g. "tests: 42 passed, 0 failed, 1 skipped",
// and writes it to .kentaur/test-summary.txt, which .ci/run prints as the very last line of a CI run
// (Jest itself prints "Ran all test suites." after every reporter has finished).
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const brokenSuites = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + brokenSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
    process.stderr.write(`\n${line}\n`);
    const dir = join(this.rootDir, '.kentaur');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'test-summary.txt'), `${line}\n`);
  }
}
module.exports = SummaryReporter;
