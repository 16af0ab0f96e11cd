// Watchdog: `node watchdog.js <state-file> <owner-pid>`. Polls the owner; when it is gone, stops every
// sandbox process recorded in the state file and removes the file. Exits when the file disappears
// (the sandbox was stopped normally). This is what keeps a killed test run from leaking processes.
import { isAlive, readState, removeState, stopAll } from './processes';

const [stateFile, ownerArg] = process.argv.slice(2);
const ownerPid = Number(ownerArg);

async function main(): Promise<void> {
  if (!stateFile || !Number.isInteger(ownerPid)) {
    process.stderr.write('usage: watchdog <state-file> <owner-pid>\n');
    process.exit(2);
  }
  for (;;) {
    const state = readState(stateFile);
    if (!state) return;
    if (!isAlive(ownerPid)) {
      process.stderr.write(`${new Date().toISOString()} owner ${ownerPid} is gone: stopping the sandbox\n`);
      await stopAll({ ...state, processes: state.processes.filter((p) => p.component !== 'watchdog') });
      removeState(stateFile);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

void main();
