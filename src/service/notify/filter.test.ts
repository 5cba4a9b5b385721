import { describe, expect, it } from 'vitest';
import { type ChannelFilter, channelFilterSchema, compileFilter, globToRegExp } from './filter.ts';
import { finding, findingEvent, image, otherEvents } from './testing.ts';
import type { NotifyEvent } from './types.ts';

const at = (repository: string, severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN' = 'HIGH') =>
  findingEvent('finding.new', finding('CVE-2024-0001', severity), { image: { ...image, repository } });

describe('globToRegExp', () => {
  it.each([
    ['team/app', 'team/app', true],
    ['team/app', 'team/app2', false],
    ['team/*', 'team/app', true],
    ['team/*', 'team/sub/app', false],
    ['team/**', 'team/sub/app', true],
    ['team/*', 'team', false],
    ['*/app', 'other/app', true],
    ['team/app-?', 'team/app-1', true],
    ['team/app-?', 'team/app-12', false],
    ['team.app', 'teamXapp', false],
    ['team/(a|b)', 'team/a', false],
    ['team/(a|b)', 'team/(a|b)', true],
  ])('%s against %s is %s', (glob, repository, expected) => {
    expect(globToRegExp(glob).test(repository)).toBe(expected);
  });
});

const owned = (owner: string) => ({ ...at('team/app'), config: { configId: 'c1', owner } });

describe('compileFilter', () => {
  const resolvedLow = findingEvent('finding.resolved', finding('CVE-2024-0002', 'LOW'));
  const cases: Array<[string, ChannelFilter | undefined, NotifyEvent, boolean]> = [
    ['no filter', undefined, at('any/thing', 'LOW'), true],
    ['min HIGH takes CRITICAL', { minSeverity: 'HIGH' }, at('team/app', 'CRITICAL'), true],
    ['min HIGH takes HIGH', { minSeverity: 'HIGH' }, at('team/app', 'HIGH'), true],
    ['min HIGH drops MEDIUM', { minSeverity: 'HIGH' }, at('team/app', 'MEDIUM'), false],
    ['min LOW drops UNKNOWN', { minSeverity: 'LOW' }, at('team/app', 'UNKNOWN'), false],
    ['min HIGH drops a resolved LOW', { minSeverity: 'HIGH' }, resolvedLow, false],
    ['min CRITICAL keeps scan.failed', { minSeverity: 'CRITICAL' }, otherEvents[1]!, true],
    ['repository glob matches', { repositories: ['team/*'] }, at('team/app'), true],
    ['repository glob misses', { repositories: ['team/*'] }, at('other/app'), false],
    ['any of several repositories', { repositories: ['other/x', 'team/app'] }, at('team/app'), true],
    ['owner listed', { owners: ['payments'] }, owned('payments'), true],
    ['owner not listed', { owners: ['payments'] }, owned('search'), false],
    ['any of several owners', { owners: ['search', 'payments'] }, owned('payments'), true],
    ['an owner filter drops an event under no config', { owners: ['payments'] }, at('team/app'), false],
    ['owners are exact', { owners: ['pay*'] }, owned('payments'), false],
    ['event type listed', { events: ['finding.new'] }, at('team/app'), true],
    ['event type not listed', { events: ['scan.failed'] }, at('team/app'), false],
    ['event type for a non-finding event', { events: ['image.scan-expired'] }, otherEvents[2]!, true],
    [
      'every condition must hold',
      { minSeverity: 'HIGH', repositories: ['team/*'], events: ['finding.new'] },
      at('team/app', 'MEDIUM'),
      false,
    ],
  ];
  it.each(cases)('%s', (_name, filter, event, expected) => {
    expect(compileFilter(filter)(event)).toBe(expected);
  });

  it.each([
    [{ minSeverity: 'SEVERE' }],
    [{ events: ['finding.created'] }],
    [{ repositories: [] }],
    [{ repository: ['team/*'] }],
  ])('rejects %j', (filter) => {
    expect(channelFilterSchema.safeParse(filter).success).toBe(false);
  });
});
