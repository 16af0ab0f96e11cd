import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '@kentaur/sandbox';

/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, started on a free
 * port of 127.0.0.1 with trust authentication, stopped and deleted by stop(). It uses the server
 * binaries of Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin), or the directory
 * in KENTAUR_TEST_PG_BINDIR. initdb refuses to run as root, so as root the server runs as the
 * `postgres` user the package creates (or `nobody`).
 */

const run = promisify(execFile);
const DEBIAN_ROOT = '/usr/lib/postgresql';
export const INSTALL_HINT =
  'no PostgreSQL server binaries (initdb, pg_ctl) found under /usr/lib/postgresql/<version>/bin: ' +
  "run deploy/postgres/install.sh (installs Debian's postgresql package), or set KENTAUR_TEST_PG_BINDIR";

export interface PostgresServer {
  /** Connection URL of `database` (default: postgres) as the superuser `postgres`. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL: a fresh database per test is cheap. */
  createDatabase(): Promise<string>;
  /**
   * A crash and a restart: stops the server at once (`pg_ctl -m immediate`, no shutdown checkpoint,
   * every connection cut), waits `downMs`, starts it again on the same port and data directory.
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl, newest version first; undefined when none is installed. */
export async function postgresBinDir(): Promise<string | undefined> {
  const fromEnv = process.env.KENTAUR_TEST_PG_BINDIR;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const versions = await readdir(DEBIAN_ROOT).catch(() => [] as string[]);
  return versions
    .filter((v) => existsSync(join(DEBIAN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(DEBIAN_ROOT, v, 'bin'))[0];
}

/** As root: runs the command as an unprivileged user; otherwise as is. */
async function unprivileged(): Promise<{ user: string; uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const ids = await run('id', ['-u', user]).then(
      async (u) => ({ uid: Number(u.stdout), gid: Number((await run('id', ['-g', user])).stdout) }),
      () => undefined,
    );
    if (ids) return { user, ...ids };
  }
  throw new Error('running as root and neither the postgres nor the nobody user exists to run PostgreSQL');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = await postgresBinDir();
  if (!bin) throw new Error(INSTALL_HINT);
  const as = await unprivileged();
  const dir = await mkdtemp(join(tmpdir(), 'kentaur-pg-'));
  const data = join(dir, 'data');
  const exec = (cmd: string, args: string[]) =>
    as
      ? run('runuser', ['-u', as.user, '--', join(bin, cmd), ...args], { cwd: dir })
      : run(join(bin, cmd), args, { cwd: dir });
  try {
    if (as) await chown(dir, as.uid, as.gid);
    await exec('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    const port = await startServer({ exec, dir, data, port: await freePort() });
    return server({
      port,
      stop: () => stopServer({ exec, dir, data }),
      restart: async (downMs = 0) => {
        await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        await new Promise((r) => setTimeout(r, downMs));
        await startServer({ exec, dir, data, port });
      },
    });
  } catch (err) {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`, { cause: err });
  }
}

type Exec = (cmd: string, args: string[]) => Promise<unknown>;

async function startServer(o: { exec: Exec; dir: string; data: string; port: number }): Promise<number> {
  const { port } = o;
  // Durability is irrelevant for a throwaway server: no fsync makes it several times faster.
  const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${o.dir} -c fsync=off -c full_page_writes=off`;
  await o.exec('pg_ctl', [
    '-D',
    o.data,
    '-l',
    join(o.dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    settings,
    'start',
  ]);
  return port;
}

async function stopServer(o: { exec: Exec; dir: string; data: string }): Promise<void> {
  await o.exec('pg_ctl', ['-D', o.data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  await rm(o.dir, { recursive: true, force: true });
}

function server(o: {
  port: number;
  stop: () => Promise<void>;
  restart: (downMs?: number) => Promise<void>;
}): PostgresServer {
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${o.port}/${database}`;
  let databases = 0;
  return {
    url,
    stop: o.stop,
    restart: o.restart,
    async createDatabase() {
      const name = `test_${++databases}`;
      const admin = new Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
  };
}
