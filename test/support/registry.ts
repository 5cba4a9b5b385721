import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real registry for tests: Debian's docker-registry (distribution 2.8) on a free loopback port,
 * storing into a temp dir, optionally behind htpasswd auth (which distribution allows over plain
 * HTTP, with a warning in its log) or token auth (a token service such as ./token-service.ts).
 */

const REGISTRY_BIN = '/usr/bin/docker-registry';
const READY_TIMEOUT_MS = 20_000;

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  readonly host: string;
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  readonly htpasswd?: { readonly user: string; readonly password: string };
  /** the `auth: token` block: realm, service, issuer and rootcertbundle */
  readonly token?: {
    readonly realm: string;
    readonly service: string;
    readonly issuer: string;
    readonly rootcertbundle: string;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function htpasswdLine(user: string, password: string): Promise<string> {
  const { stdout } = await promisify(execFile)('htpasswd', ['-Bbn', user, password]);
  return stdout.trim();
}

async function waitUntilServing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer on ${url} within ${READY_TIMEOUT_MS} ms: ${log()}`);
}

export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  // The free port is found before the registry binds it; another process may take it meanwhile.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('address already in use')) throw err;
    }
  }
}

async function startOnce(options: StartRegistryOptions): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-registry-'));
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const token = options.token;
    const auth =
      token !== undefined
        ? `auth:\n  token:\n${Object.entries(token)
            .map(([k, v]) => `    ${k}: ${v}\n`)
            .join('')}`
        : options.htpasswd === undefined
          ? ''
          : `auth:\n  htpasswd:\n    realm: vigil-test\n    path: ${join(dir, 'htpasswd')}\n`;
    if (options.htpasswd !== undefined) {
      await writeFile(
        join(dir, 'htpasswd'),
        `${await htpasswdLine(options.htpasswd.user, options.htpasswd.password)}\n`,
      );
    }
    await writeFile(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '  secret: vigil-test-secret',
        auth,
      ].join('\n'),
    );
    const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const url = `http://${host}`;
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    };
    try {
      await waitUntilServing(url, child, () => stderr);
    } catch (err) {
      await stop();
      throw err;
    }
    return { host, url, stop };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
