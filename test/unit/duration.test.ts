// Intervals and timeouts are read the way Flux reads them.
import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration } from '../../domain/duration.js';

describe('durations', () => {
  it.each([
    ['1m', 60_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['2m0s', 120_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', '1 minute', '5d', '-1m', 'm', '1m ', '1M'])('rejects %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('writes durations the short way', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(1_500)).toBe('1s500ms');
  });
});
