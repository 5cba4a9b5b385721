import { globToRegExp } from '../notify/filter.ts';
import type { ConfigOwner } from '../notify/types.ts';
import { registryOfReference } from '../store/index.ts';
import type { ScanConfig } from '../store/types.ts';
import type { RuntimeContext } from './context.ts';

/**
 * Which scan config an image falls under, for events that no config's scan raised: a re-match, a
 * lapsed scan window, a scan queued by a push. The config is one whose registry is the image's
 * and whose repository or repository pattern takes the image's repository; when several do, the
 * oldest that names an owner, else the oldest. Configs and registries are read once per resolver
 * (one run), patterns compiled once.
 */
export function configOwnerResolver(ctx: RuntimeContext) {
  let covering: Promise<Array<{ config: ScanConfig; registryId: string; takes: (repository: string) => boolean }>>;
  const load = async () => {
    const [configs, registries] = await Promise.all([ctx.store.listConfigs(), ctx.store.listRegistries()]);
    const out = [];
    // oldest first, those naming an owner ahead of the rest
    const ordered = [...configs].sort(
      (a, b) =>
        Number(a.owner === undefined) - Number(b.owner === undefined) ||
        a.createdAt.getTime() - b.createdAt.getTime() ||
        (a.id < b.id ? -1 : 1),
    );
    for (const config of ordered) {
      const registry = registryOfReference(registries, config);
      if (registry === undefined) continue;
      const pattern = config.repositoryPattern === undefined ? undefined : globToRegExp(config.repositoryPattern);
      const takes = (repository: string) => config.repository === repository || pattern?.test(repository) === true;
      out.push({ config, registryId: registry.id, takes });
    }
    return out;
  };
  return async (registryId: string, repository: string): Promise<ConfigOwner | undefined> => {
    covering ??= load();
    const found = (await covering).find((c) => c.registryId === registryId && c.takes(repository));
    if (found === undefined) return undefined;
    const { config } = found;
    return { configId: config.id, ...(config.owner !== undefined && { owner: config.owner }) };
  };
}
