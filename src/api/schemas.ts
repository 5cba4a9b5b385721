import { isoTime } from '../core/iso-time.ts';
import { severities } from '../core/types.ts';
import { eventTypes } from '../service/store/index.ts';
import type {
  FindingRow,
  FindingRowPage,
  Image,
  Registry,
  Scan,
  ScanConfig,
  StoredFinding,
  StoreEvent,
} from '../service/store/types.ts';

/**
 * JSON Schemas shared by the routes: fastify validates requests with them, serialises responses
 * through them (a field not in a response schema is never sent, which keeps stored credentials
 * out of answers), and @fastify/swagger turns them into the OpenAPI document.
 */

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** every route answers failures in one shape */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export const uuidParam = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', maxLength: 100 } },
} as const;

export const digestParam = {
  type: 'object',
  required: ['digest'],
  additionalProperties: false,
  properties: { digest: { type: 'string', pattern: '^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$' } },
} as const;

/** query numbers are strings here (body coercion is off, see index.ts); routes parse them */
export const limitParam = { type: 'string', pattern: '^[1-9][0-9]{0,2}$', description: '1 to 500' } as const;
export const cursorParam = { type: 'string', maxLength: 200, description: 'the `next` of the previous page' } as const;
export const booleanParam = { type: 'string', enum: ['true', 'false'] } as const;

export const parseLimit = (value: string | undefined, fallback = 50): number =>
  Math.min(value === undefined ? fallback : Number(value), 500);

const time = { type: 'string', format: 'date-time' } as const;
export const severityEnum = { type: 'string', enum: [...severities] } as const;
const countsSchema = {
  type: 'object',
  required: [...severities],
  properties: Object.fromEntries(severities.map((s) => [s, { type: 'integer' }])),
} as const;

export { countsSchema };

export const registrySchema = {
  type: 'object',
  required: ['id', 'name', 'url', 'kind', 'production', 'hasCredentials', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    url: { type: 'string' },
    kind: { type: 'string', enum: ['oci', 'ecr'] },
    region: { type: 'string' },
    awsAccountId: { type: 'string' },
    awsRoleArn: { type: 'string' },
    production: { type: 'boolean' },
    hasCredentials: { type: 'boolean' },
    createdAt: time,
    updatedAt: time,
  },
} as const;

export const toRegistryBody = (r: Registry) => ({
  id: r.id,
  name: r.name,
  url: r.url,
  kind: r.kind,
  ...(r.region !== undefined && { region: r.region }),
  ...(r.awsAccountId !== undefined && { awsAccountId: r.awsAccountId }),
  ...(r.awsRoleArn !== undefined && { awsRoleArn: r.awsRoleArn }),
  production: r.production,
  hasCredentials: r.credentials !== undefined,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const configSchema = {
  type: 'object',
  required: ['id', 'createdAt', 'tags', 'schedule', 'timeZone'],
  properties: {
    id: { type: 'string' },
    createdAt: time,
    region: { type: 'string' },
    registry: { type: 'string' },
    registryUrl: { type: 'string' },
    registryId: { type: 'string' },
    repository: { type: 'string' },
    repositoryPattern: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' }, nullable: true },
    tagFilter: { type: 'string' },
    owner: { type: 'string' },
    schedule: { type: 'string' },
    timeZone: { type: 'string' },
  },
} as const;

export const toConfigBody = (c: ScanConfig) => ({ ...c, createdAt: c.createdAt.toISOString() });

export const imageSchema = {
  type: 'object',
  required: ['id', 'registryId', 'repository', 'digest', 'firstSeen'],
  properties: {
    id: { type: 'string' },
    registryId: { type: 'string' },
    repository: { type: 'string' },
    digest: { type: 'string' },
    pushedAt: time,
    firstSeen: time,
    lastScanned: time,
    lastIndexed: time,
    archivedAt: time,
  },
} as const;

const iso = (d: Date | undefined) => d?.toISOString();
export const toImageBody = (i: Image) => ({
  id: i.id,
  registryId: i.registryId,
  repository: i.repository,
  digest: i.digest,
  pushedAt: iso(i.pushedAt),
  firstSeen: i.firstSeen.toISOString(),
  lastScanned: iso(i.lastScanned),
  lastIndexed: iso(i.lastIndexed),
  archivedAt: iso(i.archivedAt),
});

export const scanSchema = {
  type: 'object',
  required: ['id', 'digest', 'status', 'queuedAt'],
  properties: {
    id: { type: 'string' },
    digest: { type: 'string' },
    configId: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'failed'] },
    queuedAt: time,
    startedAt: time,
    finishedAt: time,
    counts: countsSchema,
    error: { type: 'string' },
  },
} as const;

export const toScanBody = (s: Scan) => ({
  ...s,
  queuedAt: s.queuedAt.toISOString(),
  startedAt: iso(s.startedAt),
  finishedAt: iso(s.finishedAt),
});

export const findingSchema = {
  type: 'object',
  required: ['id', 'digest', 'vulnerabilityId', 'purl', 'severity', 'fixState', 'state', 'firstSeen', 'lastSeen'],
  properties: {
    id: { type: 'integer' },
    digest: { type: 'string' },
    vulnerabilityId: { type: 'string' },
    purl: { type: 'string' },
    severity: severityEnum,
    fixState: { type: 'string', enum: ['fixed', 'not-fixed', 'wont-fix'] },
    state: { type: 'string', enum: ['open', 'resolved', 'suppressed', 'archived'] },
    firstSeen: time,
    lastSeen: time,
    resolvedAt: time,
    suppression: {
      type: 'object',
      required: ['reason', 'by'],
      properties: { reason: { type: 'string' }, by: { type: 'string' }, until: time },
    },
    /** the matcher's Finding (src/core/types.ts): package, fixed versions, CVSS, KEV, EPSS, links */
    finding: { type: 'object', additionalProperties: true },
  },
} as const;

export const toFindingBody = (f: StoredFinding) => ({
  ...f,
  firstSeen: f.firstSeen.toISOString(),
  lastSeen: f.lastSeen.toISOString(),
  resolvedAt: iso(f.resolvedAt),
  ...(f.suppression !== undefined && {
    suppression: { ...f.suppression, until: iso(f.suppression.until) },
  }),
});

/**
 * A findings page as `{ findings: [findingSchema...], next? }` JSON, written from its rows: each
 * finding's stored JSON is copied in as it is (it is most of a page's bytes, and parsing it only to
 * serialise it again was about half of a page request's CPU), and no StoredFinding, Date or lazy
 * property is made per row. Field for field what the schema's serializer writes for the rows'
 * StoredFindings (schemas, report-routes and v1 tests compare the two).
 */
export function findingRowsJson(page: FindingRowPage): string {
  let out = '{"findings":[';
  const rows = page.rows;
  for (let at = 0; at < rows.length; at++) {
    const r = rows[at] as FindingRow;
    const resolvedAt = r.resolved_at === null ? '' : `,"resolvedAt":"${isoTime(r.resolved_at)}"`;
    const suppression =
      r.state !== 'suppressed'
        ? ''
        : `,"suppression":{"reason":${JSON.stringify(r.suppress_reason ?? '')},"by":${JSON.stringify(r.suppressed_by ?? '')}` +
          `${r.suppressed_until === null ? '' : `,"until":"${isoTime(r.suppressed_until)}"`}}`;
    out +=
      `${at === 0 ? '' : ','}{"id":${JSON.stringify(r.id)},"digest":${JSON.stringify(r.digest)}` +
      `,"vulnerabilityId":${JSON.stringify(r.vulnerability_id)},"purl":${JSON.stringify(r.purl)}` +
      `,"severity":${JSON.stringify(r.severity)},"fixState":${JSON.stringify(r.fix_state)}` +
      `,"state":${JSON.stringify(r.state)},"firstSeen":"${isoTime(r.first_seen)}"` +
      `,"lastSeen":"${isoTime(r.last_seen)}"${resolvedAt}${suppression},"finding":${r.finding}}`;
  }
  const next = page.next === undefined ? '' : `,"next":${JSON.stringify(page.next)}`;
  return `${out}]${next}}`;
}

export const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'payload', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', enum: [...eventTypes] },
    digest: { type: 'string' },
    payload: { type: 'object', additionalProperties: true },
    createdAt: time,
  },
} as const;

export const toEventBody = (e: StoreEvent) => ({ ...e, createdAt: e.createdAt.toISOString() });

export const tokenSchema = {
  type: 'object',
  required: ['id', 'name', 'role', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: ['viewer', 'operator', 'admin'] },
    createdAt: time,
    lastUsedAt: time,
    revokedAt: time,
  },
} as const;
