import { rmSync } from 'node:fs';
import { sandboxDown } from '@kentaur/sandbox';
import { sharedState } from './shared-state';

export default async function globalTeardown(): Promise<void> {
  const shared = sharedState();
  shared.refs--;
  if (shared.refs > 0 || !shared.layout) return;
  await sandboxDown(shared.layout);
  if (!process.env.KENTAUR_KEEP_TEST_SANDBOX) rmSync(shared.layout.root, { recursive: true, force: true });
  delete process.env.KENTAUR_TEST_KUBECONFIG;
  shared.layout = undefined;
}
