import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aFinding, anInventory, digestOf } from '../service/store/testing.ts';
import { type ApiHarness, apiDialects, FIXED_NOW, openHarness } from './testing.ts';

/**
 * The OpenAPI document is checked structurally against OpenAPI 3.0.3 (the official JSON Schema is
 * not vendored here), every schema in it must compile under Ajv's strict mode, and real responses
 * must match the schemas the document declares for them.
 */
type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: object }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
  security?: unknown[];
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string }> };
  security: Array<Record<string, unknown>>;
};

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const ajv = new Ajv({ strict: true, allErrors: true });
ajvFormats.default(ajv);

const dialect = apiDialects[0]!;
let h: ApiHarness;
let doc: Document;

beforeAll(async () => {
  h = await openHarness(dialect);
  doc = (await h.app.inject({ url: '/api/v1/openapi.json', headers: h.auth('viewer') })).json();
});
afterAll(async () => {
  await h?.close();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.0 with info, security schemes and every route', () => {
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBe('Vigil API');
    expect(typeof doc.info.version).toBe('string');
    for (const requirement of doc.security) {
      for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes[name]).toBeDefined();
    }
    const listed = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    for (const expected of [
      'POST /configs/',
      'GET /configs/',
      'DELETE /configs/{id}',
      'GET /summary/',
      'GET /findings/{id}',
      'GET /api/v1/registries',
      'PATCH /api/v1/registries/{id}',
      'POST /api/v1/tokens',
      'POST /api/v1/configs',
      'GET /api/v1/images',
      'GET /api/v1/images/{digest}/sbom',
      'POST /api/v1/images/{digest}/scan',
      'GET /api/v1/scans',
      'GET /api/v1/findings',
      'GET /api/v1/summary',
      'GET /api/v1/events',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
    ]) {
      expect(listed).toContain(expected);
    }
  });

  it('declares every path parameter, and answers for every operation', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      expect(methods, where).toContain(method);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), where).toEqual(templated.sort());
      for (const p of op.parameters ?? []) {
        expect(['query', 'path', 'header', 'cookie'], where).toContain(p.in);
        if (p.in === 'path') expect(p.required, where).toBe(true);
        expect(p.schema, where).toBeDefined();
      }
      expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, where).toMatch(/^([1-5]XX|[1-5]\d\d|default)$/);
        expect(typeof response.description, where).toBe('string');
      }
      const isWrite = method === 'post' || method === 'patch';
      if (isWrite && path.startsWith('/api/v1/') && !path.endsWith('/scan')) {
        expect(op.requestBody?.content['application/json']?.schema, where).toBeDefined();
      }
    }
  });

  it('holds only schemas that compile under strict Ajv', () => {
    let count = 0;
    for (const { path, method, op } of operations()) {
      const schemas = [
        ...(op.parameters ?? []).map((p) => p.schema),
        ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
      ];
      for (const schema of schemas) {
        expect(() => ajv.compile(schema as object), `${method} ${path}`).not.toThrow();
        count++;
      }
    }
    expect(count).toBeGreaterThan(50);
  });
});

describe('responses match the document', () => {
  it('for a tour of the API', async () => {
    const registry = await h.store.createRegistry(
      { name: 'r', url: 'https://r.example', kind: 'ecr', region: 'us-west-2', awsAccountId: '123456789012' },
      FIXED_NOW,
    );
    const digest = digestOf(1);
    await h.store.upsertImage({ registryId: registry.id, repository: 'test/ubuntu', digest }, FIXED_NOW);
    await h.store.recordTag({ registryId: registry.id, repository: 'test/ubuntu', tag: '16.04' }, digest, FIXED_NOW);
    await h.store.saveInventory(digest, anInventory(digest, [{ name: 'openssl' }]), 'k', FIXED_NOW);
    await h.store.applyMatchResult(digest, [aFinding('CVE-1', 'openssl', 'HIGH', { summary: 's' })], {
      complete: true,
      now: FIXED_NOW,
    });
    const admin = h.auth('admin');
    const ecrId = (
      await h.app.inject({
        method: 'POST',
        url: '/configs/',
        headers: admin,
        payload: { region: 'us-west-2', registry: '123456789012', repository: 'test/ubuntu' },
      })
    ).body
      .split('ID=')[1]
      ?.trim();
    const config = (
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/configs',
        headers: admin,
        payload: { registryUrl: 'https://r.example', repository: 'a', owner: 'team' },
      })
    ).json();
    const scan = (await h.app.inject({ method: 'POST', url: `/api/v1/images/${digest}/scan`, headers: admin })).json();
    const tour: Array<[string, string, string, object?]> = [
      ['GET', '/healthz', '/healthz'],
      ['GET', '/readyz', '/readyz'],
      ['GET', '/metrics', '/metrics'],
      ['GET', '/configs/', '/configs/'],
      ['GET', '/summary/', '/summary/'],
      ['GET', `/findings/${ecrId}`, '/findings/{id}'],
      ['GET', '/findings/fc41dda8-f15e-4826-8908-11603b01dac4', '/findings/{id}'],
      ['GET', '/api/v1/registries', '/api/v1/registries'],
      ['GET', `/api/v1/registries/${registry.id}`, '/api/v1/registries/{id}'],
      ['POST', '/api/v1/registries', '/api/v1/registries', { name: 'r2', url: 'https://r2', kind: 'oci' }],
      ['POST', '/api/v1/tokens', '/api/v1/tokens', { name: 'n', role: 'viewer' }],
      ['GET', '/api/v1/tokens', '/api/v1/tokens'],
      ['GET', '/api/v1/configs', '/api/v1/configs'],
      ['GET', `/api/v1/configs/${config.id}`, '/api/v1/configs/{id}'],
      ['PATCH', `/api/v1/configs/${config.id}`, '/api/v1/configs/{id}', { tags: ['a'] }],
      ['GET', '/api/v1/images', '/api/v1/images'],
      ['GET', `/api/v1/images/${digest}`, '/api/v1/images/{digest}'],
      ['GET', `/api/v1/images/${digest}/sbom?format=spdx`, '/api/v1/images/{digest}/sbom'],
      ['GET', '/api/v1/scans', '/api/v1/scans'],
      ['GET', `/api/v1/scans/${scan.id}`, '/api/v1/scans/{id}'],
      ['GET', '/api/v1/findings?severity=HIGH', '/api/v1/findings'],
      ['GET', '/api/v1/findings/1', '/api/v1/findings/{id}'],
      ['POST', '/api/v1/findings/1/suppress', '/api/v1/findings/{id}/suppress', { reason: 'r' }],
      ['GET', '/api/v1/summary', '/api/v1/summary'],
      ['GET', '/api/v1/events?limit=1', '/api/v1/events'],
      ['GET', '/api/v1/events?limit=oops', '/api/v1/events'],
      ['DELETE', `/api/v1/configs/${config.id}`, '/api/v1/configs/{id}'],
    ];
    for (const [method, url, template, payload] of tour) {
      const res = await h.app.inject({ method: method as 'GET', url, headers: admin, ...(payload && { payload }) });
      const where = `${method} ${url} -> ${res.statusCode}`;
      const responses = doc.paths[template]?.[method.toLowerCase()]?.responses;
      expect(responses, where).toBeDefined();
      const declared = responses?.[String(res.statusCode)] ?? responses?.[`${String(res.statusCode)[0]}XX`];
      expect(declared, where).toBeDefined();
      if (res.statusCode === 204) continue;
      const contentType = String(res.headers['content-type']).split(';')[0] as string;
      const content = declared?.content ?? {};
      if (contentType === 'application/json' || contentType.endsWith('+json')) {
        const schema = (content[contentType] ?? content['application/json'])?.schema;
        expect(schema, where).toBeDefined();
        const validate = ajv.compile(schema as object);
        expect(validate(res.json()), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
      } else {
        expect(Object.keys(content), where).toContain(contentType);
      }
    }
  });
});
