import { describe, expect, it } from '@jest/globals';
import { deadlineFrom, deadlineHeader, withDeadline } from './deadline.js';

describe('the caller deadline header', () => {
  it('carries the instant the sender gives up, and reads back as that instant', () => {
    const now = 1_796_290_000_000;
    expect(deadlineHeader(10_000, now)).toBe('1796290010000');
    expect(deadlineFrom(deadlineHeader(10_000, now))).toBe(now + 10_000);
  });

  it('reads nothing from a missing or malformed header', () => {
    for (const header of [undefined, '', 'soon', '10000', '1796290010000.5', '-1796290010000']) expect(deadlineFrom(header)).toBeNull();
  });
});

describe('withDeadline', () => {
  it('adds the header to a request, keeping the headers it had', () => {
    const init = withDeadline({ method: 'POST', headers: { 'content-type': 'application/json' } }, 10_000);
    const headers = new Headers(init.headers);
    expect(init.method).toBe('POST');
    expect(headers.get('content-type')).toBe('application/json');
    expect(deadlineFrom(headers.get('x-request-deadline') ?? undefined)).toBeGreaterThan(Date.now());
  });
});
