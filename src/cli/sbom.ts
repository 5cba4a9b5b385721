import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { VigilError } from '../core/errors.ts';
import { parsePlatform } from '../image/index.ts';
import { sbomFormats } from '../report/index.ts';
import { inventoryImage } from '../scan/index.ts';
import { defaultCacheDir } from './paths.ts';
import { ProgressLine } from './progress.ts';
import { VERSION } from './version.ts';

interface SbomFlags {
  format: string;
  output?: string;
  platform?: string;
  username?: string;
  password?: string;
  insecure?: boolean;
  cacheDir: string;
  cache: boolean;
  quiet?: boolean;
  timeout: string;
}

export function sbomCommand(): Command {
  return new Command('sbom')
    .description('List every package in an image as an SBOM')
    .argument(
      '<image>',
      'alpine:3.19, registry/repo@sha256:..., docker-archive:FILE, oci-archive:FILE, oci:DIR[:ref], dir:PATH',
    )
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(sbomFormats.map((format) => format.id))
        .default('table'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--platform <os/arch[/variant]>', 'platform to pick from a multi-platform image', 'linux/amd64')
    .option('--username <name>', 'registry user (or VIGIL_REGISTRY_USERNAME)')
    .option('--password <secret>', 'registry password (or VIGIL_REGISTRY_PASSWORD)')
    .option('--insecure', 'talk plain HTTP to the registry')
    .option('--cache-dir <dir>', 'layer and inventory cache', defaultCacheDir())
    .option('--no-cache', 'read every layer again and keep nothing')
    .option('-q, --quiet', 'no progress display')
    .option('--timeout <seconds>', 'registry request timeout', '60')
    .action(async (image: string, flags: SbomFlags) => {
      const format = sbomFormats.find((f) => f.id === flags.format);
      if (!format) throw new VigilError('VIGIL_USAGE', `unknown format "${flags.format}"`);
      const timeoutSeconds = Number(flags.timeout);
      if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new VigilError('VIGIL_USAGE', `--timeout must be a positive number of seconds, not "${flags.timeout}"`);
      }
      const progress = !flags.quiet && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
      try {
        const { inventory } = await inventoryImage(image, {
          cacheDir: flags.cacheDir,
          useCache: flags.cache,
          source: {
            platform: parsePlatform(flags.platform ?? 'linux/amd64'),
            insecure: flags.insecure === true,
            ...(flags.username !== undefined ? { username: flags.username } : {}),
            ...(flags.password !== undefined ? { password: flags.password } : {}),
            timeoutMs: timeoutSeconds * 1000,
          },
          ...(progress ? { onProgress: progress.onProgress } : {}),
        });
        progress?.finish();
        const text = format.render(inventory, {
          now: new Date(),
          uuid: () => crypto.randomUUID(),
          toolVersion: VERSION,
          color: !flags.output && process.stdout.isTTY === true,
          ...(process.stdout.columns ? { width: process.stdout.columns } : {}),
        });
        if (flags.output) await writeFile(flags.output, text.endsWith('\n') ? text : `${text}\n`);
        else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      } finally {
        progress?.finish();
      }
    });
}
