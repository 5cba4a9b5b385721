import { Command, Option } from 'commander';
import { VigilError } from '../core/errors.ts';
import type { Inventory, Severity } from '../core/types.ts';
import { parseImageRef } from '../image/index.ts';
import { matchInventory } from '../match/index.ts';
import {
  applyPolicy,
  imageIdentity,
  parseSeverity,
  parseSeverityList,
  readIgnoreFile,
  readVexFiles,
  shouldFail,
} from '../policy/index.ts';
import { findingsFormats } from '../report/findings/index.ts';
import { readSbom } from '../report/read-sbom.ts';
import { inventoryImage } from '../scan/index.ts';
import { openVulnDb, parseDuration, staleSources } from '../vulndb/index.ts';
import { defaultDbPath } from './db.ts';
import {
  addImageOptions,
  IMAGE_ARGUMENT_HELP,
  type ImageFlags,
  inventoryOptions,
  writeOutput,
} from './image-options.ts';
import { ProgressLine } from './progress.ts';
import { VERSION } from './version.ts';

const SBOM_PREFIX = 'sbom:';

interface ScanFlags extends ImageFlags {
  format: string;
  output?: string;
  severity?: string;
  ignoreUnfixed?: boolean;
  failOn?: string;
  ignoreFile?: string;
  vex: string[];
  db: string;
  offline?: boolean;
  staleAfter: string;
  order: 'package' | 'severity';
}

export function scanCommand(): Command {
  const command = new Command('scan')
    .description('Report the known vulnerabilities of the packages in an image or an SBOM')
    .argument('<target>', `${IMAGE_ARGUMENT_HELP}, or sbom:FILE (CycloneDX, SPDX or Vigil JSON)`)
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(findingsFormats.map((format) => format.id))
        .default('table'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--severity <list>', 'only these severities, e.g. HIGH,CRITICAL')
    .option('--ignore-unfixed', 'leave out vulnerabilities without a fixed version')
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity remains')
    .option('--ignore-file <file>', '.trivyignore or .trivyignore.yaml: ids to ignore, with reason and expiry')
    .option('--vex <file>', 'OpenVEX or CycloneDX VEX document (repeatable)', collect, [])
    .option('--db <path>', 'vulnerability database ($VIGIL_DB)', defaultDbPath())
    .option('--offline', 'never touch the network: registry references are refused')
    .option('--stale-after <duration>', 'warn when the vulnerability data is older than this', '3d')
    .addOption(
      new Option('--order <order>', 'table: group by package or sort by severity')
        .choices(['package', 'severity'])
        .default('package'),
    );
  return addImageOptions(command).action(async (target: string, flags: ScanFlags) => {
    const format = findingsFormats.find((f) => f.id === flags.format);
    if (!format) throw new VigilError('VIGIL_USAGE', `unknown format "${flags.format}"`);
    // every flag is checked before anything slow happens
    const severities = flags.severity !== undefined ? parseSeverityList(flags.severity) : undefined;
    const failOn: Severity | undefined = flags.failOn !== undefined ? parseSeverity(flags.failOn) : undefined;
    const staleAfterMs = parseDuration(flags.staleAfter);
    const ignoreRules = flags.ignoreFile !== undefined ? await readIgnoreFile(flags.ignoreFile) : undefined;
    const vexStatements = flags.vex.length > 0 ? await readVexFiles(flags.vex) : undefined;
    const now = new Date();

    const db = openVulnDb(flags.db);
    try {
      const status = db.status();
      for (const stale of staleSources(status, now, staleAfterMs)) {
        warn(`vulnerability data from ${stale.name} is stale (${stale.reason}); run \`vigil db update\``);
      }
      const inventory = await readTarget(target, flags);
      const matched = matchInventory(inventory, db, { now });
      const { distroStatus } = matched;
      if (distroStatus.state === 'end-of-life') {
        warn(`${distroStatus.id} ${distroStatus.versionId} reached end of life on ${distroStatus.endOfLife}`);
      } else if (distroStatus.state === 'unsupported') {
        warn(`${distroStatus.id} ${distroStatus.versionId ?? ''} is not supported: its OS packages were not matched`);
      }
      if (distroStatus.state !== 'none' && distroStatus.state !== 'unsupported' && !distroStatus.dataAvailable) {
        warn(`the database holds no data for ${distroStatus.ecosystem}: no findings here means no data, not clean`);
      }
      const policy = applyPolicy(matched.findings, {
        ...(severities !== undefined ? { severities } : {}),
        ignoreUnfixed: flags.ignoreUnfixed === true,
        ...(ignoreRules !== undefined ? { ignoreRules } : {}),
        ...(vexStatements !== undefined ? { vexStatements } : {}),
        image: imageIdentity(inventory),
        now,
      });
      const text = format.render(
        {
          inventory,
          findings: policy.kept,
          suppressed: policy.suppressed,
          notes: [...matched.notes, ...policy.notes],
          db: { ...(status.builtAt !== undefined ? { builtAt: status.builtAt } : {}), sources: status.sources },
        },
        {
          now,
          uuid: () => crypto.randomUUID(),
          toolVersion: VERSION,
          order: flags.order,
          color: !flags.output && process.stdout.isTTY === true,
          ...(process.stdout.columns ? { width: process.stdout.columns } : {}),
        },
      );
      await writeOutput(text, flags.output);
      if (failOn !== undefined && shouldFail(policy.kept, failOn)) process.exitCode = 1;
    } finally {
      db.close();
    }
  });
}

async function readTarget(target: string, flags: ScanFlags): Promise<Inventory> {
  if (target.startsWith(SBOM_PREFIX)) return readSbom(target.slice(SBOM_PREFIX.length));
  if (flags.offline && parseImageRef(target).transport === 'registry') {
    throw new VigilError(
      'VIGIL_USAGE',
      `--offline: ${target} is a registry reference; scan a file or directory instead`,
    );
  }
  const progress = !flags.quiet && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
  try {
    return (await inventoryImage(target, inventoryOptions(flags, progress))).inventory;
  } finally {
    progress?.finish();
  }
}

function warn(message: string): void {
  process.stderr.write(`vigil: warning: ${message}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
