import { z } from 'zod';
import { type Severity, severities } from '../../core/types.ts';
import { type EventType, eventTypes, type NotifyEvent } from './types.ts';

/**
 * Per-channel filters. Every condition given must hold; an absent condition lets everything
 * through. The severity bound applies to finding events only: a scan failure or an expired scan
 * window has no severity, and hiding those from a "HIGH and up" channel would hide outages.
 */

export const channelFilterSchema = z
  .object({
    /** findings at this severity or above (order of `severities`: UNKNOWN is the lowest) */
    minSeverity: z.enum(severities as [Severity, ...Severity[]]).optional(),
    /** repository names, exact or globs: `*` and `?` stay inside one path segment, `**` crosses them */
    repositories: z.array(z.string().min(1).max(256)).min(1).optional(),
    events: z
      .array(z.enum(eventTypes as [EventType, ...EventType[]]))
      .min(1)
      .optional(),
    /**
     * owners of the scan config an event's image falls under (`config.owner`), exact: a team's
     * channel is told about its images only. An event under no config, or one without an owner,
     * does not pass.
     */
    owners: z.array(z.string().min(1).max(256)).min(1).optional(),
  })
  .strict();

export type ChannelFilter = z.infer<typeof channelFilterSchema>;

export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}

/** A repository glob as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A compiled filter, so a dispatch of thousands of events does not rebuild regexps per event. */
export function compileFilter(filter: ChannelFilter | undefined): (event: NotifyEvent) => boolean {
  const events = filter?.events === undefined ? undefined : new Set<EventType>(filter.events);
  const repositories = filter?.repositories?.map(globToRegExp);
  const minRank = filter?.minSeverity === undefined ? undefined : severityRank(filter.minSeverity);
  const owners = filter?.owners === undefined ? undefined : new Set(filter.owners);
  return (event) => {
    if (events !== undefined && !events.has(event.type)) return false;
    if (owners !== undefined) {
      const owner = event.config?.owner;
      if (owner === undefined || !owners.has(owner)) return false;
    }
    if (repositories !== undefined && !repositories.some((re) => re.test(event.image.repository))) return false;
    if (minRank !== undefined && (event.type === 'finding.new' || event.type === 'finding.resolved')) {
      return severityRank(event.finding.severity) <= minRank;
    }
    return true;
  };
}
