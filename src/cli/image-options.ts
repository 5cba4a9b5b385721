import { type Command, Option } from 'commander';
import { VigilError } from '../core/errors.ts';
import { parsePlatform, type SourceOptions } from '../image/index.ts';
import type { InventoryImageOptions } from '../scan/index.ts';
import { defaultCacheDir } from './paths.ts';
import type { ProgressLine } from './progress.ts';

/** The flags every command that reads an image shares (`sbom`, `scan`). */
export interface ImageFlags {
  platform?: string;
  username?: string;
  password?: string;
  insecure?: boolean;
  cacheDir: string;
  cache: boolean;
  quiet?: boolean;
  timeout: string;
}

export const IMAGE_ARGUMENT_HELP =
  'alpine:3.19, registry/repo@sha256:..., docker-archive:FILE, oci-archive:FILE, oci:DIR[:ref], dir:PATH';

export function addImageOptions(command: Command): Command {
  return command
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image', 'linux/amd64')
    .option('--username <name>', 'registry user (or VIGIL_REGISTRY_USERNAME)')
    .option('--password <secret>', 'registry password (or VIGIL_REGISTRY_PASSWORD)')
    .option('--insecure', 'talk plain HTTP to the registry')
    .option('--cache-dir <dir>', 'layer and inventory cache', defaultCacheDir())
    .option('--no-cache', 'read every layer again and keep nothing')
    .option('-q, --quiet', 'no progress display')
    .addOption(new Option('--timeout <seconds>', 'registry request timeout').default('60'));
}

/** Flags to `inventoryImage` options; throws VIGIL_USAGE for a bad value. */
export function inventoryOptions(flags: ImageFlags, progress: ProgressLine | undefined): InventoryImageOptions {
  const timeoutSeconds = Number(flags.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new VigilError('VIGIL_USAGE', `--timeout must be a positive number of seconds, not "${flags.timeout}"`);
  }
  const source: SourceOptions = {
    platform: parsePlatform(flags.platform ?? 'linux/amd64'),
    insecure: flags.insecure === true,
    ...(flags.username !== undefined ? { username: flags.username } : {}),
    ...(flags.password !== undefined ? { password: flags.password } : {}),
    timeoutMs: timeoutSeconds * 1000,
  };
  return {
    cacheDir: flags.cacheDir,
    useCache: flags.cache,
    source,
    ...(progress ? { onProgress: progress.onProgress } : {}),
  };
}

/** Text output goes to the file or to stdout, always ending in one newline. */
export async function writeOutput(text: string, file: string | undefined): Promise<void> {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (file) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, body);
  } else {
    process.stdout.write(body);
  }
}
