import type { Logger } from 'pino';
import type { SourceOptions } from '../../image/index.ts';
import type { NotifyEvent } from '../notify/types.ts';
import type { SecretBox } from '../secrets.ts';
import type { RuntimeQueries } from '../store/runtime-queries.ts';
import type { ScanQueueQueries } from '../store/scan-queue.ts';
import type { Registry, Store } from '../store/types.ts';
import type { VulnData } from './vuln-data.ts';

/** What every runtime job works with; the clock and the network come in here so tests pin them. */
export interface RuntimeContext {
  readonly store: Store;
  /** job details, leases and event watermarks beside the Store's scans */
  readonly jobs: ScanQueueQueries;
  /** reads the Store lacks: digests to re-match, a repository's images, raised events */
  readonly queries: RuntimeQueries;
  readonly vulnDb: VulnData;
  /** told about each scan's events in one call; absent: events are only stored */
  readonly notifier?: { dispatch(events: readonly NotifyEvent[]): Promise<unknown> };
  /** the layer and inventory cache (under the data dir) */
  readonly cacheDir: string;
  readonly now: () => Date;
  /** vulnerability data older than this is incomplete: findings then never resolve */
  readonly staleAfterMs: number;
  /** opens registry credentials stored sealed; absent: registries are read anonymously */
  readonly secretBox?: SecretBox;
  /** extra image-source options per registry (tests inject fetch; operators a platform) */
  readonly sourceOptions?: (registry: Registry) => SourceOptions;
  readonly logger?: Logger;
}
