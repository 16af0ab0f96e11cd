import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPaths, deployDir, type BinaryPaths } from './layout';

/**
 * Makes sure every control-plane binary is in the cache, building what is missing from Go modules
 * (deploy/sandbox/build-binaries.sh prints its own progress to stderr). Cached binaries cost nothing.
 */
export async function ensureBinaries(
  components: string[] = ['etcd', 'kwok', 'kubernetes', 'helm'],
): Promise<BinaryPaths> {
  const paths = binaryPaths();
  const missing = (Object.values(paths) as string[]).some((p) => !existsSync(p));
  if (missing) {
    process.stderr.write(
      'kentaur: building the local control plane from Go modules (first run only; cached afterwards)\n',
    );
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', [join(deployDir, 'build-binaries.sh'), ...components], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(
              new Error(`deploy/sandbox/build-binaries.sh failed (exit ${code}); see the messages above`),
            ),
      );
    });
  }
  return paths;
}
