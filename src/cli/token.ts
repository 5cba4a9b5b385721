import { join } from 'node:path';
import { Command, Option } from 'commander';
import { issueToken } from '../api/auth.ts';
import { makeDirectory } from '../core/make-directory.ts';
import { openStore } from '../service/store/open-store.ts';
import type { TokenRole } from '../service/store/types.ts';
import { defaultDataDir } from './paths.ts';

/** $VIGIL_DATABASE, else the SQLite file `vigil serve` uses under the data dir. */
export function defaultDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.VIGIL_DATABASE || `sqlite://${join(defaultDataDir(env), 'vigil.db')}`;
}

interface CreateFlags {
  role: TokenRole;
  name: string;
  database?: string;
  schema?: string;
}

export function tokenCommand(): Command {
  const token = new Command('token').description('Manage API tokens for the service');
  token
    .command('create')
    .description('Create an API token and print it once (only its SHA-256 is stored)')
    .addOption(
      new Option('--role <role>', 'what the token may do')
        .choices(['viewer', 'operator', 'admin'])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'who or what uses the token (shown in lists and suppressions)')
    .option('--database <url>', 'postgres://... or sqlite:///path ($VIGIL_DATABASE; default: the data dir)')
    .option('--schema <name>', 'PostgreSQL schema of the tables, as `vigil serve --schema` names it')
    .action(async (flags: CreateFlags) => {
      const url = flags.database ?? defaultDatabaseUrl();
      // the default SQLite file lives in a data dir that may not exist on a fresh machine
      if (flags.database === undefined && !process.env.VIGIL_DATABASE) makeDirectory(defaultDataDir());
      const store = await openStore(url, flags.schema === undefined ? {} : { schema: flags.schema });
      try {
        const { token: plaintext, record } = await issueToken(
          store,
          { name: flags.name, role: flags.role },
          new Date(),
        );
        process.stderr.write(
          `created ${record.role} token ${JSON.stringify(record.name)} (id ${record.id}); it is shown only now\n`,
        );
        process.stdout.write(`${plaintext}\n`);
      } finally {
        await store.close();
      }
    });
  return token;
}
