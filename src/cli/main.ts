import { Command, CommanderError } from 'commander';
import { exitCodeFor, isVigilError } from '../core/errors.ts';
import { dbCommand } from './db.ts';
import { sbomCommand } from './sbom.ts';
import { scanCommand } from './scan.ts';
import { VERSION } from './version.ts';

/** The CLI is a thin shell: parse flags, call the library, print. */
export function createProgram(): Command {
  const program = new Command('vigil')
    .description('Container-image vulnerability scanner and watchdog')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(sbomCommand());
  program.addCommand(scanCommand());
  program.addCommand(dbCommand());
  for (const command of program.commands) inheritErrorHandling(command);
  return program;
}

/**
 * addCommand() does not pass exitOverride on (only .command() does), and without it a usage error in
 * a subcommand would exit 1, the code reserved for findings over --fail-on.
 */
function inheritErrorHandling(command: Command): void {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) inheritErrorHandling(sub);
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv as string[], { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed help or the usage error
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    process.stderr.write(`vigil: ${describe(err)}\n`);
    return exitCodeFor(err);
  }
}

function describe(err: unknown): string {
  if (isVigilError(err)) return `${err.message} (${err.code})`;
  if (err instanceof Error) return `internal error: ${err.stack ?? err.message}`;
  return `internal error: ${String(err)}`;
}
