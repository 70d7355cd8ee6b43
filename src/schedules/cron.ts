// Cron expressions and time zones for schedules: validation with messages an operator can act on,
// the next firing, and the shortest gap between firings. The same library (cron-parser) computes
// BullMQ's job scheduler ticks, so nextRunAt and the real firings agree, across daylight saving too.
import { CronExpressionParser } from 'cron-parser';
import { PublicError } from '../errors.js';

// Numbers, `*`, ranges, lists and steps (docs/behaviour.md#schedules); no names, `?`, `L`, `W` or `#`.
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const FIELD_NAMES_5 = ['minute', 'hour', 'day of month', 'month', 'day of week'];
const FIELD_NAMES_6 = ['second', ...FIELD_NAMES_5];

const badInput = (message: string) => new PublicError('BAD_USER_INPUT', message);

export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw badInput(`Unknown time zone "${timezone}": use an IANA name such as "Europe/Zurich" or "UTC"`);
  }
}

export function assertCron(cron: string): void {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw badInput(
      `Invalid cron "${cron}": expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first`,
    );
  }
  const names = fields.length === 6 ? FIELD_NAMES_6 : FIELD_NAMES_5;
  fields.forEach((field, i) => {
    if (!FIELD.test(field))
      throw badInput(
        `Invalid cron "${cron}": the ${names[i]} field "${field}" may use numbers, *, ranges, lists and steps only`,
      );
  });
  try {
    CronExpressionParser.parse(cron, { tz: 'UTC' }).next();
  } catch (err) {
    throw badInput(`Invalid cron "${cron}": ${(err as Error).message}`);
  }
}

/** The next firing strictly after `from`, in the schedule's time zone. */
export function nextRun(cron: string, timezone: string, from = new Date()): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: from }).next().toDate();
}

/** Daylight-saving transitions are looked for this far ahead: a year holds every one a zone has. */
const HORIZON_MS = 366 * 24 * 3600_000;
/** Firings compared on each side of a transition: more than any clock shift (at most 2 h anywhere). */
const TRANSITION_WINDOW_MS = 3 * 3600_000;
const WINDOW_FIRINGS = 600;
const DAY_S = 24 * 3600;

/**
 * The shortest gap between consecutive firings, in seconds. Bounded in time however rarely the
 * cron fires (issue 19: iterating 600 firings of a leap-day cron held the event loop for seconds):
 * every firing day has the same times of day, so the wall-clock gaps follow from the second,
 * minute and hour fields alone (the gap from a day's last time to the next day's first is counted
 * as if consecutive days fired, a safe over-estimate of how often it fires). Daylight saving
 * shortens real gaps only across a clock change, so the real firings are compared only in a few
 * hours around each change of the next year, with an end date that stops the search there.
 */
export function shortestGapSeconds(cron: string, timezone: string, from = new Date()): number {
  const { second, minute, hour } = CronExpressionParser.parse(cron, { tz: 'UTC' }).fields;
  let shortest = Number.POSITIVE_INFINITY;
  let first = -1;
  let previous = -1;
  for (const h of hour.values)
    for (const m of minute.values)
      for (const s of second.values) {
        const at = Number(h) * 3600 + Number(m) * 60 + Number(s);
        if (first < 0) first = at;
        else shortest = Math.min(shortest, at - previous);
        previous = at;
      }
  shortest = Math.min(shortest, DAY_S - previous + first);
  for (const change of clockChanges(timezone, from, HORIZON_MS)) {
    shortest = Math.min(shortest, shortestGapNear(cron, timezone, change));
  }
  return shortest;
}

/** The shortest real gap between firings within TRANSITION_WINDOW_MS of `at`. */
function shortestGapNear(cron: string, timezone: string, at: Date): number {
  const expression = CronExpressionParser.parse(cron, {
    tz: timezone,
    currentDate: new Date(at.getTime() - TRANSITION_WINDOW_MS),
    endDate: new Date(at.getTime() + TRANSITION_WINDOW_MS),
  });
  let shortest = Number.POSITIVE_INFINITY;
  let previous: number | null = null;
  for (let i = 0; i < WINDOW_FIRINGS && expression.hasNext(); i++) {
    const next = expression.next().getTime();
    if (previous !== null) shortest = Math.min(shortest, (next - previous) / 1000);
    previous = next;
  }
  return shortest;
}

/** The instants (to the minute) within `horizonMs` after `from` at which the zone's UTC offset changes. */
export function clockChanges(timezone: string, from: Date, horizonMs: number): Date[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
  const offset = (ms: number) => format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value;
  const step = 24 * 3600_000;
  const changes: Date[] = [];
  for (let t = from.getTime(); t < from.getTime() + horizonMs; t += step) {
    const before = offset(t);
    if (offset(t + step) === before) continue;
    let [lo, hi] = [t, t + step];
    while (hi - lo > 60_000) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid) === before) lo = mid;
      else hi = mid;
    }
    changes.push(new Date(hi));
  }
  return changes;
}

/** Everything a schedule's timing must satisfy, with the first problem as a BAD_USER_INPUT. */
export function assertTiming(cron: string, timezone: string, minIntervalS: number): void {
  assertCron(cron);
  assertTimezone(timezone);
  const gap = shortestGapSeconds(cron, timezone);
  if (gap < minIntervalS) {
    throw badInput(
      `Cron "${cron}" fires every ${gap} s at the shortest; schedules may fire at most once every ${minIntervalS} s (SCHEDULE_MIN_INTERVAL_S)`,
    );
  }
}
