/**
 * The caller's deadline, carried from the gateway to the subgraphs. The gateway gives up on a
 * subgraph fetch after its timeout; it sends the instant it will give up (epoch milliseconds) in
 * this header, so a subgraph can refuse work it could not finish by then *before starting it*,
 * instead of doing it for a caller that was told "unavailable" (who may retry, and pay twice).
 *
 * An instant rather than a duration, so time a request spent queued before the subgraph read it
 * (in the kernel, or behind a busy event loop) counts too. Processes on one machine share its
 * clock; across machines this relies on synchronised clocks (NTP keeps them within milliseconds,
 * far inside the seconds these deadlines are about).
 */
export const DEADLINE_HEADER = 'x-request-deadline';

/** The deadline a request carries, or null when it carries none (or nonsense). */
export function deadlineFrom(header: string | undefined): number | null {
  if (!header || !/^\d{13}$/.test(header)) return null;
  return Number(header);
}

/** The header for a request its sender will give up on after `timeoutMs`. */
export const deadlineHeader = (timeoutMs: number, now = Date.now()): string => String(now + timeoutMs);

/** `init` with the deadline header of a request its sender will give up on after `timeoutMs`. */
export function withDeadline<TInit extends { headers?: Record<string, string> }>(
  init: TInit | undefined,
  timeoutMs: number,
): TInit & { headers: Record<string, string> } {
  return { ...(init as TInit), headers: { ...init?.headers, [DEADLINE_HEADER]: deadlineHeader(timeoutMs) } };
}
