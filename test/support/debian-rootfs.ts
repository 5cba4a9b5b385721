import { execFile } from 'node:child_process';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the debootstrapped root filesystem is kept between runs (it takes about a minute to make). */
export function fixtureCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_FIXTURE_CACHE ?? join(homedir(), '.cache', 'vigil-fixtures');
}

/**
 * A real Debian bookworm minbase root filesystem made by Debian's debootstrap from the configured
 * Debian mirror, cached. Returns undefined with the reason when it cannot be made here (no
 * debootstrap, not root, no mirror), so a test can skip saying why.
 */
export async function debianMinbase(): Promise<{ rootfs: string } | { skip: string }> {
  const rootfs = join(fixtureCacheDir(), 'bookworm-minbase');
  if (await exists(join(rootfs, 'var/lib/dpkg/status'))) return { rootfs };
  if (process.getuid?.() !== 0) return { skip: 'debootstrap needs root' };
  if (!(await exists('/usr/sbin/debootstrap')))
    return { skip: 'debootstrap is not installed (apt-get install debootstrap)' };
  const temp = `${rootfs}.tmp-${process.pid}`;
  await mkdir(fixtureCacheDir(), { recursive: true });
  try {
    await run('/usr/sbin/debootstrap', ['--variant=minbase', 'bookworm', temp, mirror()], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60 * 1000,
    });
    await rename(temp, rootfs);
    return { rootfs };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    return { skip: `debootstrap failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** The package list as dpkg itself reports it: the reference an extractor is compared with. */
export async function dpkgQuery(rootfs: string): Promise<string[]> {
  const { stdout } = await run(
    'dpkg-query',
    [
      `--admindir=${join(rootfs, 'var/lib/dpkg')}`,
      '-W',
      '-f',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
      '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('ii'))
    .map((line) => line.split('\t').slice(1).join('\t'))
    .sort();
}

function mirror(): string {
  return process.env.VIGIL_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
