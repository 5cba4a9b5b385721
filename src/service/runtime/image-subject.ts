import type { Image, Registry } from '../store/types.ts';
import { configOwnerResolver } from './config-owner.ts';
import type { RuntimeContext } from './context.ts';
import type { EventSubject } from './notify-events.ts';

/**
 * The image identity events carry for a digest known only by digest (re-matches, the scan-age
 * check): its first live row, the registry host from the registry's URL, and the config the image
 * falls under (config-owner.ts), whose owner channels may route by. Registries and configs are
 * looked up once per run.
 */
export function subjectResolver(ctx: RuntimeContext) {
  const registries = new Map<string, Promise<Registry | undefined>>();
  const configOf = configOwnerResolver(ctx);
  return async (digest: string, scanId: string, known?: Image): Promise<EventSubject | undefined> => {
    const image = known ?? (await ctx.store.getImages(digest)).find((i) => i.archivedAt === undefined);
    if (image === undefined) return undefined;
    let registry = registries.get(image.registryId);
    if (registry === undefined) {
      registry = ctx.store.getRegistry(image.registryId);
      registries.set(image.registryId, registry);
    }
    const row = await registry;
    let host = row?.url ?? '';
    try {
      host = new URL(host).host;
    } catch {
      // a registry URL the API accepted always parses; keep what is there otherwise
    }
    const config = await configOf(image.registryId, image.repository);
    return {
      scanId,
      image: { registry: host, repository: image.repository, digest },
      ...(config !== undefined && { config }),
    };
  };
}
