#!/usr/bin/env node
// A flame summary of a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or the inspector's
// Profiler, e.g. BENCH_GATEWAY_PROFILE=<dir> in tests/bench/gateway-bench.ts):
//
//   node tests/bench/profile-summary.js <file.cpuprofile> [--top 25] [--no-map] [--requests N]
//
// Prints the functions with the most self time (samples where the function was running) and the most
// total time (samples where it was anywhere on the stack, counted once per sample even when it
// recurses), each with file:line and its share of all samples and of the busy ones (without idle),
// then the self time by package (a node_modules package, a directory of this repository, Node's own
// code, or V8's: GC, program). With --requests N (the requests served while profiled, e.g.
// autocannon's total) each package's time is also given in microseconds per request, so that the
// profiles of two servers under the same load compare line by line.
//
// Files that Jest compiled with swc (the repository's TypeScript and the ESM-only packages of
// jest.common.js) are profiled as swc's output, whose lines are not the source's: they are compiled
// again here with the same options and mapped back through the source map, so the lines are the
// source's. Other files, build output (dist/) and every file with --no-map (a profile of code that
// Jest did not run) are reported as V8 saw them (1-based lines).
'use strict';

const { readFileSync } = require('node:fs');
const { fileURLToPath } = require('node:url');
const { relative, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../..');

function usage() {
  process.stderr.write('usage: profile-summary.js <file.cpuprofile> [--top N] [--no-map]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const valued = ['--top', '--requests'];
const file = args.find((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1]));
if (!file) usage();
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const top = option('--top', 25);
const requests = option('--requests', undefined);
const mapLines = !args.includes('--no-map');
if (!Number.isInteger(top) || top < 1) usage();
if (requests !== undefined && !(Number.isInteger(requests) && requests > 0)) usage();

/** Source maps of files Jest compiles, made on demand: path → TraceMap | null. */
const maps = new Map();
function jestSourceMap(path) {
  if (maps.has(path)) return maps.get(path);
  let map = null;
  if (!mapLines || path.includes('/dist/')) return map;
  try {
    const { common } = require(resolve(ROOT, 'jest.common.js'));
    const [pattern, [, options]] = Object.entries(common.transform)[0];
    const ignored = common.transformIgnorePatterns.some((p) => new RegExp(p).test(path));
    if (new RegExp(pattern).test(path) && !ignored) {
      const { createTransformer } = require('@swc/jest');
      const { TraceMap } = require('@jridgewell/trace-mapping');
      const { code } = createTransformer(options).process(readFileSync(path, 'utf8'), path, {});
      const inline = /sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,(\S+)\s*$/.exec(code);
      if (inline) map = new TraceMap(Buffer.from(inline[1], 'base64').toString('utf8'));
    }
  } catch {
    map = null; // not compiled by Jest, or not readable: reported as profiled
  }
  maps.set(path, map);
  return map;
}

/** `file:line` of a call frame (0-based in the profile), mapped to the source where Jest compiled it. */
function location(frame) {
  if (!frame.url) return '';
  let path = frame.url;
  if (path.startsWith('file://')) path = fileURLToPath(path);
  let line = frame.lineNumber + 1;
  if (path.startsWith('/')) {
    const map = jestSourceMap(path);
    if (map) {
      const { originalPositionFor } = require('@jridgewell/trace-mapping');
      const p = originalPositionFor(map, { line, column: Math.max(frame.columnNumber, 0) });
      if (p.line !== null) line = p.line;
    }
    const pkg = path.indexOf('/node_modules/');
    path = pkg >= 0 ? path.slice(pkg + 1) : relative(process.cwd(), path);
  }
  return `${path}:${line}`;
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const totalSamples = profile.samples.length;
const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(totalSamples, 1);

/** A function is its name and definition site; nodes of the same function on different stacks merge. */
const keyOf = (frame) => `${frame.functionName || '(anonymous)'} ${location(frame)}`;
const self = new Map();
const total = new Map();
const add = (m, k, n) => m.set(k, (m.get(k) ?? 0) + n);

// Depth-first over the call tree; `onStack` counts each function's frames on the current path, so a
// sample adds to a recursive function's total once.
const root = profile.nodes[0];
const onStack = new Map();
const stack = [{ node: root, entered: false }];
while (stack.length > 0) {
  const frame = stack[stack.length - 1];
  const key = keyOf(frame.node.callFrame);
  if (frame.entered) {
    stack.pop();
    onStack.set(key, onStack.get(key) - 1);
    continue;
  }
  frame.entered = true;
  onStack.set(key, (onStack.get(key) ?? 0) + 1);
  const n = hits.get(frame.node.id) ?? 0;
  if (n > 0) {
    add(self, key, n);
    for (const [k, depth] of onStack) if (depth > 0) add(total, k, n);
  }
  for (const child of frame.node.children ?? []) stack.push({ node: byId.get(child), entered: false });
}

const idle = self.get(keyOf({ functionName: '(idle)', url: '' })) ?? 0;
const busy = totalSamples - idle;
const pct = (n, of) => `${((100 * n) / Math.max(of, 1)).toFixed(1).padStart(5)} %`;
function table(title, m) {
  const rows = [...m.entries()]
    .filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  const lines = rows.map(
    ([k, n]) =>
      `${pct(n, totalSamples)}  ${pct(n, busy)}  ${(n * msPerSample).toFixed(0).padStart(7)} ms  ${k}`,
  );
  return `${title}\n  of all   of busy       time  function file:line\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** Where a function lives: its npm package, its directory in this repository, Node's or V8's own. */
function packageOf(key) {
  const at = key.lastIndexOf(' ');
  const loc = key.slice(at + 1);
  if (loc === '') return `(v8) ${key.slice(0, at)}`; // (garbage collector), (program)
  if (loc.startsWith('node:')) return 'node: (runtime)';
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(loc);
  if (pkg) return pkg[1];
  const dir = /^((?:apps|packages|tests)\/[^/]+)/.exec(loc);
  return dir ? dir[1] : loc.replace(/:\d+$/, '');
}

function byPackage() {
  const m = new Map();
  for (const [k, n] of self) {
    if (k.startsWith('(root)') || k.startsWith('(idle)')) continue;
    add(m, packageOf(k), n);
  }
  const rows = [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const perRequest = (n) =>
    requests ? `${((n * msPerSample * 1000) / requests).toFixed(1).padStart(7)} µs/req  ` : '';
  const head = requests ? `  of busy       time   per request  package\n` : `  of busy       time  package\n`;
  const lines = rows.map(
    ([k, n]) => `${pct(n, busy)}  ${(n * msPerSample).toFixed(0).padStart(7)} ms  ${perRequest(n)}${k}`,
  );
  const busyLine = requests
    ? `busy ${((busy * msPerSample * 1000) / requests).toFixed(1)} µs per request (${requests} requests)\n`
    : '';
  return `self time by package\n${busyLine}${head}${lines.map((l) => `${l}\n`).join('')}`;
}

process.stdout.write(
  `${file}: ${totalSamples} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ` +
    `${pct(busy, totalSamples).trim()} busy (not idle)\n\n` +
    `${table(`top ${top} by self time`, self)}\n${table(`top ${top} by total time`, total)}\n${byPackage()}`,
);
