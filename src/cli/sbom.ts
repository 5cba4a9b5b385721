import { Command, Option } from 'commander';
import { VigilError } from '../core/errors.ts';
import { sbomFormats } from '../report/index.ts';
import { inventoryImage } from '../scan/index.ts';
import {
  addImageOptions,
  IMAGE_ARGUMENT_HELP,
  type ImageFlags,
  inventoryOptions,
  writeOutput,
} from './image-options.ts';
import { ProgressLine } from './progress.ts';
import { VERSION } from './version.ts';

interface SbomFlags extends ImageFlags {
  format: string;
  output?: string;
}

export function sbomCommand(): Command {
  const command = new Command('sbom')
    .description('List every package in an image as an SBOM')
    .argument('<image>', IMAGE_ARGUMENT_HELP)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(sbomFormats.map((format) => format.id))
        .default('table'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout');
  return addImageOptions(command).action(async (image: string, flags: SbomFlags) => {
    const format = sbomFormats.find((f) => f.id === flags.format);
    if (!format) throw new VigilError('VIGIL_USAGE', `unknown format "${flags.format}"`);
    const progress = !flags.quiet && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
    try {
      const { inventory } = await inventoryImage(image, inventoryOptions(flags, progress));
      progress?.finish();
      const text = format.render(inventory, {
        now: new Date(),
        uuid: () => crypto.randomUUID(),
        toolVersion: VERSION,
        color: !flags.output && process.stdout.isTTY === true,
        ...(process.stdout.columns ? { width: process.stdout.columns } : {}),
      });
      await writeOutput(text, flags.output);
    } finally {
      progress?.finish();
    }
  });
}
