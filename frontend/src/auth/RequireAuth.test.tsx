import { act, render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { RequireAuth } from './RequireAuth';
import { clearSession, signIn } from './session';
import { safeNext } from './SignIn';

function Where() {
  const location = useLocation();
  return <output data-testid="where">{`${location.pathname}${location.search}`}</output>;
}

function app(start: string) {
  return render(
    <MemoryRouter initialEntries={[start]}>
      <Routes>
        <Route path="/signin" element={<Where />} />
        <Route
          path="*"
          element={
            <RequireAuth>
              <Where />
            </RequireAuth>
          }
        />
      </Routes>
    </MemoryRouter>,
  );
}

const user = { sub: 'dev:a@b.in', email: 'a@b.in', name: 'A', picture: null, roles: ['marketer'] };

describe('signed-out and expired sessions', () => {
  afterEach(() => clearSession());

  it('sends a signed-out visitor to sign-in with the page they asked for', () => {
    app('/campaigns/42?status=FAILED');
    expect(screen.getByTestId('where')).toHaveTextContent('/signin?next=%2Fcampaigns%2F42%3Fstatus%3DFAILED');
  });

  it('leaves for sign-in, remembering the page, when the session ends (a 401)', () => {
    signIn({ accessToken: 't', renewable: true, expiresAt: Date.now() + 60_000, user });
    app('/audiences/7');
    expect(screen.getByTestId('where')).toHaveTextContent('/audiences/7');
    act(() => clearSession());
    expect(screen.getByTestId('where')).toHaveTextContent('/signin?next=%2Faudiences%2F7');
  });

  it('only returns to pages of this site', () => {
    expect(safeNext('/campaigns/new?segment=3')).toBe('/campaigns/new?segment=3');
    expect(safeNext('//evil.example/x')).toBe('/campaigns');
    expect(safeNext('https://evil.example')).toBe('/campaigns');
    expect(safeNext(null)).toBe('/campaigns');
  });
});
