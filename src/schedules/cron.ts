// Cron expressions and time zones for schedules: validation with messages an operator can act on,
// the next firing, and the shortest gap between firings. The same library (cron-parser) computes
// BullMQ's job scheduler ticks, so nextRunAt and the real firings agree, across daylight saving too.
import { CronExpressionParser } from 'cron-parser';
import { PublicError } from '../errors.js';

// Numbers, `*`, ranges, lists and steps (CONTRACT.md section 8); no names, `?`, `L`, `W` or `#`.
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

/**
 * The shortest gap between consecutive firings, in seconds, over the next firings (enough of
 * them to cover every field's cycle: a pattern repeats within a year of firings at the most).
 */
export function shortestGapSeconds(cron: string, timezone: string, from = new Date(), samples = 600): number {
  const expression = CronExpressionParser.parse(cron, { tz: timezone, currentDate: from });
  let previous = expression.next().getTime();
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < samples && expression.hasNext(); i++) {
    const next = expression.next().getTime();
    shortest = Math.min(shortest, (next - previous) / 1000);
    previous = next;
    if (shortest <= 1) break;
  }
  return shortest;
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
