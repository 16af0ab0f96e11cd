import type { SandboxLayout } from '@kentaur/sandbox';

interface SharedSandbox {
  refs: number;
  layout?: SandboxLayout;
}

/** State shared by the global setup and teardown of all projects (they run in one process). */
export function sharedState(): SharedSandbox {
  const g = globalThis as { __kentaurTestSandbox?: SharedSandbox };
  g.__kentaurTestSandbox ??= { refs: 0 };
  return g.__kentaurTestSandbox;
}
