import { describe, expect, it } from 'vitest';
import { smsCount } from './sms';

describe('smsCount', () => {
  it('counts GSM-7 messages: 160 in one, then 153 a part', () => {
    expect(smsCount('')).toMatchObject({ encoding: 'GSM-7', units: 0, segments: 0 });
    expect(smsCount('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1, remaining: 0 });
    expect(smsCount('a'.repeat(161))).toMatchObject({ segments: 2, perSegment: 153, remaining: 306 - 161 });
    expect(smsCount('a'.repeat(306))).toMatchObject({ segments: 2, remaining: 0 });
    expect(smsCount('a'.repeat(307))).toMatchObject({ segments: 3 });
  });
  it('counts the extension characters twice', () => {
    expect(smsCount('€{}')).toMatchObject({ encoding: 'GSM-7', units: 6 });
    expect(smsCount('a'.repeat(159) + '€')).toMatchObject({ units: 161, segments: 2 });
  });
  it('switches to UCS-2 for anything else: 70, then 67 a part', () => {
    expect(smsCount('₹100 off')).toMatchObject({ encoding: 'UCS-2', units: 8, segments: 1, remaining: 62 });
    expect(smsCount('न'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsCount('न'.repeat(71))).toMatchObject({ segments: 2, perSegment: 67 });
    expect(smsCount('🎉')).toMatchObject({ encoding: 'UCS-2', units: 2 });
  });
  it('keeps GSM-7 for the Latin accents it has', () => {
    expect(smsCount('Café à Zürich, £5')).toMatchObject({ encoding: 'GSM-7' });
  });
});
