import { describe, expect, it } from 'vitest';
import { authMessage, socketUrl } from './socket';

describe('stats socket', () => {
  it('keeps the token out of the URL and sends it as the first message', () => {
    const loc = { protocol: 'https:', host: 'beacon.example' } as Location;
    expect(socketUrl(loc)).toBe('wss://beacon.example/api/v1/stats/ws');
    expect(JSON.parse(authMessage('tok-1')!)).toEqual({ type: 'auth', access_token: 'tok-1' });
    expect(authMessage(null)).toBeNull();
  });
});
