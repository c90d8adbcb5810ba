import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FieldDescription } from '../api/models';
import { fakeApi, problem422, renderAt } from '../test-utils';
import NewCampaign from './NewCampaign';

const FIELDS: FieldDescription[] = [
  {
    name: 'total_spend',
    label: 'Total spend (₹)',
    type: 'number',
    inputType: 'number',
    nullable: false,
    operators: [{ name: '>', label: '>', arity: 'binary' }],
  },
];
const SEGMENT = {
  id: 7,
  name: 'Big spenders',
  rules: { combinator: 'and', rules: [{ field: 'total_spend', operator: '>', value: 10000 }] },
  created_at: '2026-12-01T00:00:00Z',
  updated_at: '2026-12-01T00:00:00Z',
};
const base = {
  'GET /api/v1/segments/fields': [{ status: 200, body: { fields: FIELDS, limits: {} } }],
  'GET /api/v1/segments': [{ status: 200, body: { items: [SEGMENT], next_cursor: null } }],
};
const down = {
  status: 503,
  body: { detail: 'x', message: 'Audience counts are unavailable.', code: 'unavailable', correlation_id: null, errors: [] },
};

function open() {
  return renderAt('/campaigns/new?segment=7', [{ path: '/campaigns/new', element: <NewCampaign /> }]);
}

afterEach(() => {
  cleanup(); // unmounting saves the draft: clear the storage after it
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('launch safety', () => {
  it('keeps Launch disabled, and says why, when the audience could not be counted', async () => {
    fakeApi({ ...base, 'POST /api/v1/segments/preview': [down] });
    open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Diwali');
    await screen.findByText(/could not be counted/, { selector: '[data-testid="launch-blocked"]' });
    expect(screen.getByRole('button', { name: 'Launch…' })).toBeDisabled();
  });

  it('refuses to launch to nobody', async () => {
    fakeApi({ ...base, 'POST /api/v1/segments/preview': [{ status: 200, body: { size: 0, sample: [], took_ms: 1, source: 'cache', sentence: 'Customers who visited more than 4,321 times', conditions: [] } }] });
    open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Diwali');
    await screen.findByText(/Nobody matches/, { selector: '[data-testid="launch-blocked"]' });
    expect(screen.getByRole('button', { name: 'Launch…' })).toBeDisabled();
  });

  it('confirms the counted size, posts exactly it, and keeps the draft when the API refuses', async () => {
    const api = fakeApi({
      ...base,
      'POST /api/v1/segments/preview': [{ status: 200, body: { size: 1234, sample: [], took_ms: 1 } }],
      'POST /api/v1/campaigns': [problem422('body.schedule_at', 'Value error, is in the past: a campaign is scheduled for a time to come')],
    });
    open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Diwali');
    const launch = screen.getByRole('button', { name: 'Launch…' });
    await waitFor(() => expect(launch).toBeEnabled());
    await userEvent.click(launch);
    const dialog = screen.getByRole('dialog', { hidden: true });
    expect(within(dialog).getByTestId('launch-size')).toHaveTextContent('1,234');
    await userEvent.click(within(dialog).getByRole('button', { name: /^Send to 1,234/, hidden: true }));
    await within(dialog).findByTestId('launch-error');
    expect(within(dialog).getByTestId('launch-error')).toHaveTextContent(/in the past/);
    const [posted] = api.of('POST', '/api/v1/campaigns');
    expect(posted?.body).toMatchObject({ name: 'Diwali', segment_id: '7', confirm_audience_size: 1234 });
    expect(screen.getByLabelText('Campaign name')).toHaveValue('Diwali');
  });

  it('refuses a "Later" time in the past, inline', async () => {
    fakeApi({ ...base, 'POST /api/v1/segments/preview': [{ status: 200, body: { size: 5, sample: [], took_ms: 1 } }] });
    open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Diwali');
    await userEvent.click(screen.getByRole('radio', { name: 'Later' }));
    const at = screen.getByLabelText(/Send at/);
    expect(at).toHaveAttribute('min');
    await userEvent.type(at, '2020-01-01T10:00');
    expect(await screen.findByText(/That time has passed/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Schedule…' })).toBeDisabled();
  });

  it('starts a duplicate as a draft with the original audience and message (nothing sent yet)', async () => {
    const api = fakeApi({
      ...base,
      'GET /api/v1/campaigns/c1': [
        {
          status: 200,
          body: { id: 'c1', name: 'Diwali', status: 'completed', message: 'Hi {name}, 20% off', rules: SEGMENT.rules, segment_id: '7', created_at: '2026-12-01T00:00:00Z' },
        },
      ],
      'POST /api/v1/segments/preview': [{ status: 200, body: { size: 3, sample: [], took_ms: 1 } }],
    });
    renderAt('/campaigns/new?from=c1', [{ path: '/campaigns/new', element: <NewCampaign /> }]);
    expect(await screen.findByLabelText('Campaign name')).toHaveValue('Diwali (copy)');
    expect(screen.getByLabelText('Message')).toHaveValue('Hi {name}, 20% off');
    expect(screen.getByLabelText('Saved audience')).toHaveValue('7');
    expect(api.of('POST', '/api/v1/campaigns')).toHaveLength(0);
    expect(api.of('POST', '/api/v1/campaigns/c1/duplicate')).toHaveLength(0);
  });

  it('keeps the draft through a sign-in (the page left and opened again), until discarded', async () => {
    fakeApi({ ...base, 'POST /api/v1/segments/preview': [{ status: 200, body: { size: 3, sample: [], took_ms: 1 } }] });
    const first = open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Half-typed');
    first.unmount();
    open();
    expect(await screen.findByLabelText('Campaign name')).toHaveValue('Half-typed');
    await userEvent.click(within(screen.getByTestId('draft-restored')).getByRole('button', { name: 'Discard it' }));
    expect(screen.getByLabelText('Campaign name')).toHaveValue('');
    expect(localStorage.length).toBe(0);
  });

  it('sends by email with a subject: needed, checked like the message, and posted with the channel', async () => {
    const api = fakeApi({
      ...base,
      'POST /api/v1/segments/preview': [{ status: 200, body: { size: 40, sample: [], took_ms: 1 } }],
      'POST /api/v1/campaigns': [{ status: 201, body: { id: 'c9' } }],
    });
    open();
    await userEvent.type(await screen.findByLabelText('Campaign name'), 'Diwali mail');
    await userEvent.click(screen.getByRole('radio', { name: 'Email' }));
    const launch = screen.getByRole('button', { name: 'Launch…' });
    expect(screen.getByTestId('launch-blocked')).toHaveTextContent('a valid subject');
    expect(launch).toBeDisabled();
    const subject = screen.getByLabelText('Subject');
    await userEvent.type(subject, '{{nickname}, 20% off');
    expect(await screen.findByText(/nickname/, { selector: '.form-error' })).toBeInTheDocument();
    await userEvent.clear(subject);
    await userEvent.type(subject, '{{first_name}, 20% off');
    await waitFor(() => expect(launch).toBeEnabled());
    await userEvent.click(launch);
    const dialog = screen.getByRole('dialog', { hidden: true });
    expect(within(dialog).getByTestId('launch-email-note')).toHaveTextContent(/email consent/);
    await userEvent.click(within(dialog).getByRole('button', { name: /^Send to 40/, hidden: true }));
    await waitFor(() => expect(api.of('POST', '/api/v1/campaigns')).toHaveLength(1));
    expect(api.of('POST', '/api/v1/campaigns')[0]?.body).toMatchObject({
      name: 'Diwali mail',
      channel: 'email',
      subject: '{first_name}, 20% off',
      confirm_audience_size: 40,
    });
  });
});
