// Generate docs/postman/beacon.postman_collection.json and beacon.postman_environment.json
// from Beacon's merged OpenAPI document (tools/postman/openapi.py) with openapi-to-postmanv2,
// then give every request an example body, the variables it needs and tests.
//
//   node generate.mjs OPENAPI.json OUT_DIR        (or: make postman)
//
// Every operation in the OpenAPI document must have at least one step below: a new route
// without an example fails the generation, so the collection never silently lags the API.
// The output is deterministic (ids derived from names, converter's random examples dropped)
// so a test can regenerate it and compare.
import Converter from 'openapi-to-postmanv2';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [specPath, outDir] = process.argv.slice(2);
if (!specPath || !outDir) {
  console.error('usage: node generate.mjs OPENAPI.json OUT_DIR');
  process.exit(2);
}
const SERVICES = { ingest: 8001, segments: 8002, campaigns: 8003, delivery: 8004, stats: 8005 };

// The three audience rules of the demo (ARCHITECTURE.md's example, one rule each), and together.
const BIG_SPENDERS = { combinator: 'and', rules: [{ field: 'total_spend', operator: '>', value: 10000 }] };
const FEW_VISITS = { combinator: 'and', rules: [{ field: 'visits', operator: '<=', value: 3 }] };
const LAPSED = { combinator: 'and', rules: [{ field: 'last_visit_at', operator: 'notInLastDays', value: 90 }] };
const SEED_RULES = {
  combinator: 'and',
  rules: [BIG_SPENDERS.rules[0], { combinator: 'or', rules: [FEW_VISITS.rules[0], LAPSED.rules[0]] }],
};
const EVERYONE = { combinator: 'and', rules: [{ field: 'visits', operator: '>=', value: 0 }] };

const expect = (code) => `pm.test('answers ${code}', () => pm.response.to.have.status(${code}));`;
const json = (value) => JSON.stringify(value, null, 2);
const save = (variable, expr) =>
  `pm.collectionVariables.set('${variable}', ${expr});`;
// Poll a request until it answers 200 (the pipeline is asynchronous): newman runs the same
// request again after a pause, up to a deadline, then lets the status test fail.
const pollUntil200 = (name, condition = 'true') => ({
  pre: `if (pm.collectionVariables.get('polls') > 0) { setTimeout(() => {}, 500); }`,
  test: [
    `const tries = Number(pm.collectionVariables.get('polls') || 0);`,
    `const ok = pm.response.code === 200 && (${condition});`,
    `if (!ok && tries < 120) { pm.collectionVariables.set('polls', tries + 1); pm.execution.setNextRequest('${name}'); return; }`,
    `pm.collectionVariables.set('polls', 0);`,
    expect(200),
  ].join('\n'),
});

const customer = { customer_id: 'pm-{{runId}}-1', name: 'Zoë Iyer', email: 'zoe-{{runId}}@example.in', phone: '+91 98450 12345', city: 'Pune', created_at: '2026-01-15T10:00:00+05:30' };
const customers = [2, 3, 4].map((i) => ({ customer_id: `pm-{{runId}}-${i}`, name: `Asha ${i}`, email: `asha${i}-{{runId}}@example.in`, city: ['Pune', 'Chennai', 'Delhi'][i % 3] }));
const order = { order_id: 'pm-{{runId}}-o1', customer_id: 'pm-{{runId}}-1', amount: '12499.00', ordered_at: '2026-11-01T10:00:00+05:30' };
const orders = [2, 3, 4].map((i) => ({ order_id: `pm-{{runId}}-o${i}`, customer_id: `pm-{{runId}}-${i}`, amount: `${i * 1000}.50`, ordered_at: '2026-10-01T10:00:00Z' }));

// One step per request, in the order newman runs them. An ``optional`` step is dropped
// when its route is not in the document (the sign-in routes, before they exist).
const STEPS = [
  { optional: true, folder: 'sign-in', op: 'GET /api/v1/auth/config', name: 'Sign-in configuration', auth: { type: 'noauth' }, test: expect(200) },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/auth/dev', name: 'Development sign-in', auth: { type: 'noauth' }, body: { email: '{{email}}', role: 'admin' }, test: `${expect(200)}\n${save('refreshToken', 'pm.response.json().refresh_token')}` },
  { optional: true, folder: 'sign-in', op: 'GET /api/v1/auth/me', name: 'Who am I', test: expect(200) },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/auth/refresh', name: 'Refresh the session', auth: { type: 'noauth' }, body: { refresh_token: '{{refreshToken}}' }, test: `${expect(200)}\n${save('refreshToken', 'pm.response.json().refresh_token')}` },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/auth/google', name: 'Google sign-in (a bad credential is refused)', auth: { type: 'noauth' }, body: { credential: 'not-a-google-id-token' }, test: "pm.test('refused: 401, or 404 when no Google client id is configured', () => pm.expect([401, 404]).to.include(pm.response.code));" },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/keys', name: 'Create an API key (admin)', body: { name: 'postman {{runId}}', scopes: ['ingest:write'] }, test: `${expect(201)}\n${save('keyId', 'pm.response.json().id')}` },
  { optional: true, folder: 'sign-in', op: 'GET /api/v1/keys', name: 'List API keys (admin)', test: expect(200) },
  { optional: true, folder: 'sign-in', op: 'DELETE /api/v1/keys/{key_id}', name: 'Revoke the API key (admin)', vars: { key_id: '{{keyId}}' }, test: expect(204) },
  { optional: true, folder: 'sign-in', op: 'GET /api/v1/users', name: 'List the people who sign in (admin)', test: expect(200) },
  { optional: true, folder: 'sign-in', op: 'PATCH /api/v1/users/{sub}', name: 'Change a person (admin; unknown here: 404)', vars: { sub: 'postman-nobody' }, body: { disabled: true }, test: expect(404) },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/users/{sub}/end-sessions', name: 'End a person\'s sessions (admin; unknown here: 404)', vars: { sub: 'postman-nobody' }, test: expect(404) },
  { optional: true, folder: 'sign-in', op: 'POST /api/v1/auth/signout', name: 'Sign out (revokes the refresh token)', auth: { type: 'noauth' }, body: { refresh_token: '{{refreshToken}}' }, test: expect(204) },
  { op: 'POST /api/v1/customers', name: 'Upsert one customer', body: customer, test: expect(202) },
  { op: 'POST /api/v1/customers', name: 'Upsert a batch of customers', body: { items: customers }, test: expect(202) },
  { op: 'POST /api/v1/orders', name: 'Record one order', body: order, test: expect(202) },
  { op: 'POST /api/v1/orders', name: 'Record a batch of orders', body: { items: orders }, test: expect(202) },
  { op: 'GET /api/v1/customers/{customer_id}', name: 'Get a customer', vars: { customer_id: 'pm-{{runId}}-1' }, ...pollUntil200('Get a customer') },
  { op: 'GET /api/v1/customers', name: 'List customers', query: { limit: '10' }, test: expect(200) },
  { op: 'GET /api/v1/orders', name: 'List orders of a customer', query: { customer_id: 'pm-{{runId}}-1', limit: '10' }, ...pollUntil200('List orders of a customer', 'pm.response.json().items.length === 1') },
  { op: 'POST /api/v1/imports', name: 'Open an import', body: { kind: 'orders', source: 'generic', file_name: 'postman.csv' }, test: `${expect(201)}\n${save('importId', 'pm.response.json().import_id')}` },
  { op: 'POST /api/v1/orders', name: 'Send an import\'s orders', body: { import_id: '{{importId}}', items: [{ order_id: 'pm-{{runId}}-o9', customer_email: 'walkin-{{runId}}@example.in', amount: '1499.00', status: 'partially_refunded', refunded_amount: '499.00', ordered_at: '2026-11-02T18:30:00+05:30', line_items: [{ name: 'Kurta', sku: 'K-1', quantity: 1, price: '1499.00' }] }] }, test: expect(202) },
  { op: 'POST /api/v1/imports/{import_id}/seal', name: 'Seal the import (all rows sent)', vars: { import_id: '{{importId}}' }, body: { sent: 1, bad: 0 }, test: expect(200) },
  { op: 'GET /api/v1/imports/{import_id}', name: 'The import, done', vars: { import_id: '{{importId}}' }, ...pollUntil200('The import, done', "pm.response.json().status === 'done'") },
  { op: 'GET /api/v1/imports', name: 'Imports, newest first', query: { limit: '10' }, test: expect(200) },
  { op: 'POST /api/v1/imports/{import_id}/undo', name: 'Undo the import', vars: { import_id: '{{importId}}' }, test: expect(202) },
  { op: 'POST /api/v1/imports/upload', name: 'Preview a file as Beacon reads it (dry run)', query: { kind: 'orders', source: 'generic', dry_run: 'true', file_name: 'orders.csv' }, raw: 'Order ID,Customer Email,Order Total,Order Date,Payment Status\nINV-{{runId}},buyer-{{runId}}@example.in,"₹1,49,999.00",2026-11-03 10:00,Refunded\n', test: expect(200) },
  { op: 'GET /api/v1/segments/fields', name: 'Audience fields and operators', test: expect(200) },
  {
    op: 'POST /api/v1/segments/preview',
    name: 'Preview: the customers just sent (waits for the profiles)',
    body: { rules: { combinator: 'and', rules: [{ field: 'email', operator: 'contains', value: '{{runId}}' }] } },
    ...pollUntil200('Preview: the customers just sent (waits for the profiles)', 'pm.response.json().size === 4'),
  },
  { op: 'GET /api/v1/segments/profiles/{customer_id}', name: 'Profile of a customer (spend, visits)', vars: { customer_id: 'pm-{{runId}}-1' }, ...pollUntil200('Profile of a customer (spend, visits)') },
  { op: 'POST /api/v1/segments/preview', name: 'Preview: big spenders', body: { rules: BIG_SPENDERS }, test: expect(200) },
  { op: 'POST /api/v1/segments/preview', name: 'Preview: few visits', body: { rules: FEW_VISITS }, test: expect(200) },
  { op: 'POST /api/v1/segments/preview', name: 'Preview: lapsed 90 days', body: { rules: LAPSED }, test: expect(200) },
  { op: 'POST /api/v1/segments', name: 'Save a segment', body: { name: 'Big spenders, few visits or lapsed', rules: SEED_RULES }, test: `${expect(201)}\n${save('segmentId', 'pm.response.json().id')}` },
  { op: 'GET /api/v1/segments', name: 'List segments', query: { limit: '10' }, test: expect(200) },
  { op: 'GET /api/v1/segments/{sid}', name: 'Get the segment', vars: { sid: '{{segmentId}}' }, test: expect(200) },
  { op: 'PUT /api/v1/segments/{sid}', name: 'Replace the segment', vars: { sid: '{{segmentId}}' }, body: { name: 'Big spenders', rules: BIG_SPENDERS }, test: expect(200) },
  { op: 'GET /api/v1/segments/{sid}/members', name: 'Members of the segment', vars: { sid: '{{segmentId}}' }, query: { limit: '100' }, test: expect(200) },
  { op: 'GET /api/v1/segments/{sid}/export', name: 'Export the segment (CSV)', vars: { sid: '{{segmentId}}' }, test: expect(200) },
  { op: 'POST /api/v1/campaigns', name: 'Launch a campaign', body: { name: 'Postman {{runId}}', message: "Hi {first_name|there}, here's 10% off on your next order!", rules: EVERYONE }, test: `${expect(201)}\n${save('campaignId', 'pm.response.json().id')}` },
  { op: 'POST /api/v1/campaigns/test-send', name: 'Send a test to a named customer', body: { message: 'Hi {first_name|there}, a test of our offer', customer_ids: ['pm-{{runId}}-1'] }, test: expect(202) },
  { op: 'POST /api/v1/campaigns/{campaign_id}/pause', name: 'Pause the campaign (409 once it has finished)', vars: { campaign_id: '{{campaignId}}' }, test: "pm.test('paused, or refused as finished', () => pm.expect([200, 409]).to.include(pm.response.code));" },
  { op: 'POST /api/v1/campaigns/{campaign_id}/resume', name: 'Resume the campaign (409 unless paused)', vars: { campaign_id: '{{campaignId}}' }, test: "pm.test('resumed, or refused as not paused', () => pm.expect([200, 409]).to.include(pm.response.code));" },
  { op: 'POST /api/v1/campaigns/{campaign_id}/duplicate', name: 'Duplicate the campaign, scheduled', vars: { campaign_id: '{{campaignId}}' }, body: { name: 'Postman copy {{runId}}', schedule_at: '2099-01-01T09:00:00Z' }, test: `${expect(201)}\n${save('scheduledId', 'pm.response.json().id')}` },
  { op: 'PATCH /api/v1/campaigns/{campaign_id}', name: 'Reschedule the copy', vars: { campaign_id: '{{scheduledId}}' }, body: { schedule_at: '2099-02-01T09:00:00Z' }, test: expect(200) },
  { op: 'POST /api/v1/campaigns/{campaign_id}/cancel', name: 'Cancel the scheduled copy', vars: { campaign_id: '{{scheduledId}}' }, test: expect(200) },
  { op: 'GET /api/v1/campaigns', name: 'Campaign history', query: { limit: '10' }, test: expect(200) },
  { op: 'GET /api/v1/campaigns/{campaign_id}', name: 'Get the campaign', vars: { campaign_id: '{{campaignId}}' }, test: expect(200) },
  { op: 'GET /api/v1/stats/campaigns/{campaign_id}', name: 'Campaign stats', vars: { campaign_id: '{{campaignId}}' }, ...pollUntil200('Campaign stats', 'pm.response.json().audience_size > 0') },
  { op: 'GET /api/v1/stats/campaigns', name: 'Stats of several campaigns', query: { ids: '{{campaignId}}' }, test: expect(200) },
  { op: 'GET /api/v1/stats/campaigns/{campaign_id}/series', name: 'Campaign stats per second', vars: { campaign_id: '{{campaignId}}' }, test: expect(200) },
  { op: 'GET /api/v1/stats/overview', name: 'Stats overview', test: expect(200) },
  { op: 'POST /api/v1/stats/campaigns/{campaign_id}/reconcile', name: 'Reconcile campaign stats (admin)', vars: { campaign_id: '{{campaignId}}' }, query: { fix: 'false' }, test: expect(200) },
  { op: 'GET /api/v1/communications', name: 'Communications log of the campaign', query: { campaign_id: '{{campaignId}}', limit: '10' }, ...pollUntil200('Communications log of the campaign', 'pm.response.json().items.length > 0') },
  { op: 'GET /api/v1/communications/export', name: 'Export the communications log (CSV)', query: { campaign_id: '{{campaignId}}' }, test: expect(200) },
  {
    op: 'POST /api/v1/receipts',
    name: 'Vendor receipt (signed)',
    auth: { type: 'noauth' },
    body: { receipts: [{ message_id: '{{messageId}}', status: 'SENT', at: '{{receiptAt}}' }] },
    pre: [
      '// The vendor signs "<unix time>.<raw body>" with HMAC-SHA256 (shared/signature.py).',
      "pm.collectionVariables.set('receiptAt', new Date().toISOString());",
      "if (!pm.collectionVariables.get('messageId')) { pm.collectionVariables.set('messageId', 'pm-unknown-' + pm.collectionVariables.get('runId')); }",
      "const hmac = require('crypto-js');",
      'const body = pm.variables.replaceIn(pm.request.body.raw);',
      'const t = Math.floor(Date.now() / 1000);',
      "const v1 = hmac.HmacSHA256(`${t}.${body}`, pm.variables.get('vendorSecret')).toString(hmac.enc.Hex);",
      "pm.request.headers.upsert({ key: 'X-Beacon-Signature', value: `t=${t},v1=${v1}` });",
    ].join('\n'),
    test: expect(202),
  },
  // The providers' webhooks answer 404 until their provider is configured (the demo sends SMS
  // through the simulator): nothing to forge on a stack that does not use them.
  { op: 'GET /api/v1/webhooks/whatsapp', name: 'WhatsApp webhook handshake (404: not configured here)', auth: { type: 'noauth' }, query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': '1' }, test: expect(404) },
  { op: 'POST /api/v1/webhooks/whatsapp', name: 'WhatsApp statuses (404: not configured here)', auth: { type: 'noauth' }, body: { object: 'whatsapp_business_account', entry: [] }, test: expect(404) },
  { op: 'POST /api/v1/webhooks/twilio', name: 'Twilio status callback (404: not configured here)', auth: { type: 'noauth' }, query: { message_id: 'pm-unknown' }, test: expect(404) },
  {
    folder: 'unsubscribe',
    op: 'GET /api/v1/unsubscribe',
    name: 'The footer link in a browser: a page with the unsubscribe button',
    auth: { type: 'noauth' },
    query: { token: '{{unsubscribeToken}}' },
    pre: [
      '// The token an email\'s List-Unsubscribe link carries (shared/unsubscribe.py):',
      '// "email.<base64url customer id>.<base64url HMAC-SHA256 of "email.<customer id>">".',
      "const cj = require('crypto-js');",
      "const b64url = (words) => cj.enc.Base64.stringify(words).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');",
      "const customer = pm.variables.replaceIn('pm-{{runId}}-2');",
      "const mac = cj.HmacSHA256(`email.${customer}`, pm.variables.get('unsubscribeSecret'));",
      "pm.collectionVariables.set('unsubscribeToken', `email.${b64url(cj.enc.Utf8.parse(customer))}.${b64url(mac)}`);",
    ].join('\n'),
    test: expect(200),
  },
  {
    folder: 'unsubscribe',
    op: 'POST /api/v1/unsubscribe',
    name: 'One-click unsubscribe (signed link, no sign-in)',
    auth: { type: 'noauth' },
    query: { token: '{{unsubscribeToken}}' },
    test: expect(204),
  },
  { folder: 'suppressions', op: 'POST /api/v1/suppressions', name: 'Leave a customer out of SMS campaigns', body: { channel: 'sms', customer_id: 'pm-{{runId}}-3' }, test: expect(201) },
  { folder: 'suppressions', op: 'GET /api/v1/suppressions', name: 'The SMS suppression list', query: { channel: 'sms', limit: '50' }, test: expect(200) },
  { folder: 'suppressions', op: 'DELETE /api/v1/suppressions/{channel}/{customer_id}', name: 'Take them off it again', vars: { channel: 'sms', customer_id: 'pm-{{runId}}-3' }, test: expect(204) },
  { folder: 'clean-up', op: 'DELETE /api/v1/segments/{sid}', name: 'Delete the segment', vars: { sid: '{{segmentId}}' }, test: expect(204) },
  { folder: 'clean-up', op: 'DELETE /api/v1/customers/{customer_id}', name: 'Erase a customer (right to erasure, admin)', vars: { customer_id: 'pm-{{runId}}-4' }, test: expect(202) },
];
STEPS.find((s) => s.name === 'Campaign stats').test +=
  `\npm.test('the audience is resolved', () => pm.expect(pm.response.json().audience_size).to.be.above(0));`;
STEPS.find((s) => s.name.startsWith('Preview: the customers just sent')).test +=
  `\npm.test('all four are in the audiences', () => pm.expect(pm.response.json().size).to.equal(4));`;
// The communications step also remembers a message id for the signed receipt.
STEPS.find((s) => s.name === 'Communications log of the campaign').test +=
  `\nif (pm.response.code === 200 && pm.response.json().items.length) { ${save('messageId', 'pm.response.json().items[0].message_id')} }`;

// Runs before every request: a run id for unique example ids, and, when no token is set,
// one from the development sign-in (absent before sign-in exists: then requests go without).
const COLLECTION_PRE = `
if (!pm.collectionVariables.get('runId')) {
  pm.collectionVariables.set('runId', Date.now().toString(36));
}
if (!pm.variables.get('token') && !pm.collectionVariables.get('signInTried')) {
  pm.collectionVariables.set('signInTried', 'yes');
  pm.sendRequest({
    url: pm.variables.get('campaignsUrl') + '/api/v1/auth/dev',
    method: 'POST',
    header: { 'Content-Type': 'application/json' },
    body: { mode: 'raw', raw: JSON.stringify({ email: pm.variables.get('email'), role: 'admin' }) },
  }, (error, response) => {
    if (!error && response.code === 200) {
      pm.collectionVariables.set('token', response.json().access_token);
    }
  });
}`.trim();

const id = (...parts) => {
  const h = crypto.createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
const script = (type, text, ...key) => ({ listen: type, script: { id: id(type, ...key), type: 'text/javascript', exec: text.split('\n') } });

function operations(collection) {
  const found = new Map();
  const walk = (items, service) => {
    for (const item of items) {
      if (item.item) walk(item.item, service || item.name);
      else {
        const p = item.request.url.path.map((seg) => (seg.startsWith(':') ? `{${seg.slice(1)}}` : seg));
        found.set(`${item.request.method} /${p.join('/')}`, { item, service });
      }
    }
  };
  walk(collection.item);
  return found;
}

function request(step, template, service) {
  const req = structuredClone(template.request);
  const url = req.url;
  url.host = [`{{${service}Url}}`];
  url.variable = (url.variable || []).map((v) => ({ key: v.key, value: step.vars?.[v.key] ?? v.value, description: v.description }));
  for (const v of url.variable) if (v.description === undefined) delete v.description;
  url.query = (url.query || []).map((q) => (
    step.query && q.key in step.query
      ? { key: q.key, value: step.query[q.key] }
      : { key: q.key, value: q.value, disabled: true }));
  const query = url.query.filter((q) => !q.disabled).map((q) => `${q.key}=${q.value}`).join('&');
  url.raw = `{{${service}Url}}/${url.path.join('/')}${query ? `?${query}` : ''}`;
  req.name = step.name;
  if (step.raw !== undefined) {  // a file, sent as it is (the upload route)
    req.body = { mode: 'raw', raw: step.raw, options: { raw: { language: 'text' } } };
    req.header = [...(req.header || []).filter((h) => h.key !== 'Content-Type'), { key: 'Content-Type', value: 'text/csv' }];
  } else if (step.body !== undefined) {
    req.body = { mode: 'raw', raw: json(step.body), options: { raw: { language: 'json' } } };
  } else {
    delete req.body;
    req.header = (req.header || []).filter((h) => h.key !== 'Content-Type');
  }
  if (step.auth) req.auth = step.auth;
  else delete req.auth;
  const events = [];
  if (step.pre) events.push(script('prerequest', step.pre, step.name));
  if (step.test) events.push(script('test', step.test, step.name));
  return { id: id('item', step.name), name: step.name, request: req, response: [], event: events };
}

function build(spec) {
  return new Promise((resolve, reject) => {
    Converter.convert({ type: 'json', data: spec }, { folderStrategy: 'Tags', parametersResolution: 'Example' }, (error, result) => {
      if (error || !result.result) reject(error || new Error(result.reason));
      else resolve(result.output[0].data);
    });
  });
}

const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const converted = await build(spec);
const ops = operations(converted);
const steps = STEPS.filter((s) => ops.has(s.op) || !s.optional);
const covered = new Set(steps.map((s) => s.op));
const missing = [...ops.keys()].filter((k) => !covered.has(k));
const unknown = [...covered].filter((k) => !ops.has(k));
if (missing.length || unknown.length) {
  console.error(`routes without an example step: ${missing.join(', ') || '-'}; steps for unknown routes: ${unknown.join(', ') || '-'}`);
  process.exit(1);
}
// Folders follow the steps: a run goes folder by folder, so a folder's steps must be
// contiguous or a later step (say, a launch) would run before an earlier one (the data).
const folders = [];
for (const step of steps) {
  const { item, service } = ops.get(step.op);
  const name = step.folder || service;
  let folder = folders.at(-1);
  if (!folder || folder.name !== name) {
    if (folders.some((f) => f.name === name)) {
      console.error(`folder ${name} would run out of order at step "${step.name}": give it a folder of its own`);
      process.exit(1);
    }
    folder = { id: id('folder', name), name, item: [] };
    folders.push(folder);
  }
  folder.item.push(request(step, item, service));
}
const variables = [
  ...Object.entries(SERVICES).map(([name, port]) => ({ key: `${name}Url`, value: `http://127.0.0.1:${port}` })),
  { key: 'token', value: '' },
  { key: 'email', value: 'postman@example.com' },
  { key: 'vendorSecret', value: 'beacon-dev-vendor-secret' },
  { key: 'unsubscribeSecret', value: 'beacon-dev-unsubscribe-secret' },
  { key: 'runId', value: '' },
  { key: 'refreshToken', value: '' },
  { key: 'keyId', value: '' },
  { key: 'polls', value: '0' },
];
const collection = {
  info: {
    _postman_id: id('collection'),
    name: 'Beacon API',
    description: `${spec.info.description}\n\nGenerated by tools/postman (make postman) from the services' OpenAPI documents; do not edit by hand. Set the *Url variables (or point all of them at the dashboard origin, http://127.0.0.1:8080) and token (a sign-in access token or a bk_ API key). With no token, the collection signs in through the development sign-in when it exists.`,
    schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
  },
  auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] },
  event: [script('prerequest', COLLECTION_PRE, 'collection')],
  variable: variables.map((v) => ({ ...v, type: 'string' })),
  item: folders,
};
const environment = {
  id: id('environment'),
  name: 'Beacon (local)',
  values: variables.filter((v) => !['runId', 'polls', 'refreshToken', 'keyId'].includes(v.key)).map((v) => ({ ...v, type: ['token', 'vendorSecret', 'unsubscribeSecret'].includes(v.key) ? 'secret' : 'default', enabled: true })),
  _postman_variable_scope: 'environment',
};
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'beacon.postman_collection.json'), `${JSON.stringify(collection, null, 2)}\n`);
fs.writeFileSync(path.join(outDir, 'beacon.postman_environment.json'), `${JSON.stringify(environment, null, 2)}\n`);
console.log(`${steps.length} requests in ${folders.length} folders -> ${outDir}`);
