/**
 * /campaigns/new: who (a saved audience or rules built here), what (the message, shown
 * for three real customers), when (now or a schedule), then Launch, which asks first
 * how many people will be messaged.
 */
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { RuleGroupType } from 'react-querybuilder';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { campaigns, ingest, unwrap } from '../api/client';
import type { Campaign, RuleGroupJson } from '../api/models';
import { useAudiencePreview, useCampaign, useFields, useSegments } from '../api/queries';
import { AudienceSize } from '../components/AudienceSize';
import { MessageEditor, MessagePreview, SmsCounter } from '../components/Message';
import { RuleEditor } from '../components/RuleEditor';
import { TestSend } from '../components/TestSend';
import { ErrorState, Skeleton } from '../components/States';
import { formatCount, formatDateTime } from '../lib/format';
import { clearDraft, loadDraft, saveDraft } from '../lib/draft';
import { launchGate, scheduleProblem, toLocalInput } from '../lib/launch';
import { useTitle } from '../lib/title';
import { completeRules, fromApiRules, indexFields, problemsByRule, starterQuery } from '../lib/rules';
import { parseTemplate, renderTemplate, type Recipient } from '../lib/template';

const DEFAULT_MESSAGE = "Hi {first_name}, here's 10% off on your next order!";

export default function NewCampaign() {
  useTitle('New campaign');
  const [params] = useSearchParams();
  const from = params.get('from') ?? undefined; // "Duplicate" on a campaign's page
  const fields = useFields();
  const list = useSegments();
  const source = useCampaign(from);
  if (fields.isPending || list.isPending || (from && source.isPending)) return <Skeleton rows={8} label="Loading" />;
  if (fields.isError) return <ErrorState error={fields.error} retry={() => void fields.refetch()} />;
  return <Form copy={from ? source.data : undefined} />;
}

/**
 * A duplicate starts as a draft with the original's audience and message: it goes through
 * the same count and confirmation as any launch (nothing is sent on the one click).
 */
function Form({ copy }: { copy?: Campaign }) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const fields = useFields().data?.fields ?? [];
  const index = useMemo(() => indexFields(fields), [fields]);
  const saved = useSegments().data?.items ?? [];
  const search = params.toString();
  // A draft left here (by a sign-in that expired, a reload) comes back as it was.
  const [restored] = useState(() => loadDraft(search));
  const copySegment = copy?.segment_id && saved.some((s) => String(s.id) === copy.segment_id) ? copy.segment_id : null;
  const [segmentId, setSegmentId] = useState<string>(
    restored?.segmentId ?? copySegment ?? params.get('segment') ?? (saved[0] ? String(saved[0].id) : ''),
  );
  const [mode, setMode] = useState<'segment' | 'rules'>(
    restored?.mode ??
      (copy ? (copySegment ? 'segment' : 'rules') : saved.length || params.get('segment') ? 'segment' : 'rules'),
  );
  const [query, setQuery] = useState<RuleGroupType>(
    () => restored?.query ?? (copy?.rules && !copySegment ? fromApiRules(copy.rules) : starterQuery()),
  );
  const [name, setName] = useState(restored?.name ?? (copy ? `${copy.name} (copy)` : ''));
  const [message, setMessage] = useState(restored?.message ?? copy?.message ?? DEFAULT_MESSAGE);
  const [when, setWhen] = useState<'now' | 'later'>(restored?.when ?? 'now');
  const [scheduleAt, setScheduleAt] = useState(restored?.scheduleAt ?? '');
  const [channel, setChannel] = useState<'sms' | 'email'>(restored?.channel ?? copy?.channel ?? 'sms');
  const [subject, setSubject] = useState(restored?.subject ?? copy?.subject ?? '');
  const [showRestored, setShowRestored] = useState(restored != null);
  const launchedRef = useRef(false);
  const dirty = name.trim() !== '' || message !== (copy?.message ?? DEFAULT_MESSAGE);

  // Keep the draft while it is edited (and warn before the tab closes with one).
  useEffect(() => {
    if (launchedRef.current) return;
    if (!dirty) {
      clearDraft();
      return;
    }
    const timer = setTimeout(
      () => saveDraft({ search, name, message, mode, segmentId, query, when, scheduleAt, channel, subject }),
      300,
    );
    return () => clearTimeout(timer);
  }, [dirty, search, name, message, mode, segmentId, query, when, scheduleAt, channel, subject]);
  // Leaving the page (a 401 sends the person to sign-in) saves what the debounce has not.
  const latest = useRef<Parameters<typeof saveDraft>[0] | null>(null);
  latest.current = dirty ? { search, name, message, mode, segmentId, query, when, scheduleAt, channel, subject } : null;
  useEffect(
    () => () => {
      if (!launchedRef.current && latest.current) saveDraft(latest.current);
    },
    [],
  );
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      if (launchedRef.current) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  const discard = () => {
    clearDraft();
    setShowRestored(false);
    setName(copy ? `${copy.name} (copy)` : '');
    setMessage(copy?.message ?? DEFAULT_MESSAGE);
    setWhen('now');
    setScheduleAt('');
    setChannel(copy?.channel ?? 'sms');
    setSubject(copy?.subject ?? '');
    setQuery(copy?.rules && !copySegment ? fromApiRules(copy.rules) : starterQuery());
  };
  const dialog = useRef<HTMLDialogElement>(null);

  const segment = saved.find((s) => String(s.id) === segmentId);
  const pruned = useMemo(() => completeRules(query, index), [query, index]);
  const rules: RuleGroupJson | null = mode === 'segment' ? (segment?.rules ?? null) : (pruned?.json ?? null);
  const preview = useAudiencePreview(rules);
  const problems = useMemo(
    () => (mode === 'rules' ? problemsByRule(query, preview.problems, pruned?.paths) : {}),
    [mode, query, preview.problems, pruned],
  );

  // Three real customers for the preview: their full records (email, phone) from ingest.
  const sample = preview.data?.sample.slice(0, 3) ?? [];
  const people = useQueries({
    queries: sample.map((s) => ({
      queryKey: ['customer', s.customer_id],
      queryFn: () =>
        unwrap(ingest.GET('/api/v1/customers/{customer_id}', { params: { path: { customer_id: s.customer_id } } })),
      staleTime: 60_000,
    })),
  });
  const recipients: Recipient[] = sample.map((s, i) => people[i]?.data ?? s);

  const templateErrors = parseTemplate(message).errors;
  const email = channel === 'email';
  const subjectErrors = email ? parseTemplate(subject).errors : [];
  const subjectOk = !email || (subject.trim() !== '' && subjectErrors.length === 0);
  // Launch needs a size counted for exactly the rules on screen: not while counting, not
  // after a failed count, not for rules changed since, and never for nobody.
  const gate = launchGate({
    rulesKey: rules ? JSON.stringify(rules) : null,
    countedKey: preview.isSuccess && !preview.isPlaceholderData ? preview.settledKey : null,
    size: preview.data?.size,
    pending: !preview.current,
    error: preview.isError ? preview.error.message : null,
  });
  // Re-render each half minute so a "Later" time that has just passed is caught.
  const now = useNow(30_000);
  const scheduleError = when === 'later' ? scheduleProblem(scheduleAt, now) : null;
  const [confirmed, setConfirmed] = useState<number | null>(null);
  const ready =
    name.trim() !== '' &&
    rules != null &&
    templateErrors.length === 0 &&
    message.trim() !== '' &&
    subjectOk &&
    scheduleError == null &&
    gate.ok;

  const missing = [
    name.trim() ? null : 'a name',
    rules ? null : 'an audience',
    message.trim() && !templateErrors.length ? null : 'a valid message',
    subjectOk ? null : 'a valid subject',
    scheduleError == null ? null : 'a send time to come',
  ].filter(Boolean);

  const launch = useMutation({
    mutationFn: (size: number) =>
      unwrap(
        campaigns.POST('/api/v1/campaigns', {
          body: {
            name: name.trim(),
            message,
            channel,
            ...(email ? { subject } : {}),
            // Exactly the size the dialog asked to confirm: the API refuses a launch whose
            // audience has grown beyond it (or is empty) rather than send to more.
            confirm_audience_size: size,
            ...(mode === 'segment' && segment ? { segment_id: String(segment.id) } : { rules }),
            ...(when === 'later' && scheduleAt ? { schedule_at: new Date(scheduleAt).toISOString() } : {}),
          },
        }),
      ),
    onSuccess: (campaign) => {
      launchedRef.current = true;
      clearDraft();
      dialog.current?.close();
      void queryClient.invalidateQueries({ queryKey: ['campaigns'] });
      navigate(`/campaigns?launched=${campaign.id}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready || !gate.ok) return;
    launch.reset();
    setConfirmed(gate.size); // the number the dialog shows is the number sent
    dialog.current?.showModal();
  };
  const size = confirmed ?? 0;
  const first = recipients[0];

  return (
    <form className="page" onSubmit={submit}>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/campaigns">Campaigns</Link> /
          </p>
          <h1>New campaign</h1>
        </div>
        <div className="actions">
          {!ready && (
            <span className="hint" data-testid="launch-blocked">
              {missing.length ? `Needs ${missing.join(', ')}` : gate.ok ? '' : gate.reason}
            </span>
          )}
          <button type="submit" className="btn btn-primary" disabled={!ready}>
            {when === 'later' ? 'Schedule…' : 'Launch…'}
          </button>
        </div>
      </div>
      {showRestored && (
        <p className="banner banner-ok" role="status" data-testid="draft-restored">
          Your unsent draft is back as you left it.{' '}
          <button type="button" className="link" onClick={discard}>
            Discard it
          </button>
        </p>
      )}
      <div className="split">
        <div className="stack">
          <label className="field">
            <span>Campaign name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} required placeholder="e.g. Diwali offer for big spenders" />
          </label>

          <section className="card stack-tight" aria-labelledby="who">
            <h2 className="card-label" id="who">
              Who gets it
            </h2>
            <div className="segmented" role="radiogroup" aria-label="Audience source">
              <label>
                <input type="radio" name="source" checked={mode === 'segment'} onChange={() => setMode('segment')} disabled={!saved.length} />
                A saved audience
              </label>
              <label>
                <input type="radio" name="source" checked={mode === 'rules'} onChange={() => setMode('rules')} />
                Build rules here
              </label>
            </div>
            {mode === 'segment' ? (
              saved.length ? (
                <label className="field">
                  <span>Saved audience</span>
                  <select value={segmentId} onChange={(e) => setSegmentId(e.target.value)}>
                    {saved.map((s) => (
                      <option key={s.id} value={String(s.id)}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                </label>
              ) : (
                <p className="muted">
                  No saved audiences yet. <Link to="/audiences/new">Build one</Link> or build rules here.
                </p>
              )
            ) : (
              <RuleEditor fields={fields} query={query} onQueryChange={setQuery} problems={problems} />
            )}
          </section>

          <section className="card stack-tight" aria-labelledby="what">
            <h2 className="card-label" id="what">
              What they read
            </h2>
            <div className="segmented" role="radiogroup" aria-label="Channel">
              <label>
                <input type="radio" name="channel" checked={channel === 'sms'} onChange={() => setChannel('sms')} />
                SMS
              </label>
              <label>
                <input type="radio" name="channel" checked={email} onChange={() => setChannel('email')} />
                Email
              </label>
            </div>
            {email && (
              <div className="field">
                <label htmlFor="campaign-subject">Subject</label>
                <input
                  id="campaign-subject"
                  value={subject}
                  onChange={(e) => setSubject(e.target.value)}
                  maxLength={200}
                  required
                  placeholder="e.g. {first_name}, 20% off for Diwali"
                  aria-invalid={subjectErrors.length > 0}
                  aria-describedby="subject-help"
                />
                <span id="subject-help" className={subjectErrors.length ? 'form-error' : 'muted small'}>
                  {subjectErrors.length
                    ? subjectErrors[0]
                    : 'Same placeholders as the message. Sent only to customers who accept email marketing and have an address; every email carries a one-click unsubscribe.'}
                </span>
              </div>
            )}
            <MessageEditor value={message} onChange={setMessage} />
            {!email && <SmsCounter template={message} recipients={recipients} />}
            <h3 className="card-label">As your customers will see it</h3>
            <MessagePreview template={message} recipients={recipients} />
          </section>

          <TestSend message={message} disabled={templateErrors.length > 0 || !message.trim()} />

          <section className="card stack-tight" aria-labelledby="when">
            <h2 className="card-label" id="when">
              When
            </h2>
            <div className="segmented" role="radiogroup" aria-label="When to send">
              <label>
                <input type="radio" name="when" checked={when === 'now'} onChange={() => setWhen('now')} />
                Now
              </label>
              <label>
                <input type="radio" name="when" checked={when === 'later'} onChange={() => setWhen('later')} />
                Later
              </label>
            </div>
            {when === 'later' && (
              <label className="field">
                <span>Send at (your time)</span>
                <input
                  type="datetime-local"
                  value={scheduleAt}
                  min={toLocalInput(new Date(now))}
                  onChange={(e) => setScheduleAt(e.target.value)}
                  required
                  aria-invalid={scheduleAt !== '' && scheduleError != null}
                  aria-describedby="schedule-error"
                />
                {scheduleAt !== '' && scheduleError && (
                  <span id="schedule-error" className="form-error" role="alert">
                    {scheduleError}
                  </span>
                )}
              </label>
            )}
          </section>
        </div>
        <aside className="split-side">
          <AudienceSize
            preview={preview.data}
            current={preview.current}
            slow={preview.slow}
            empty={rules == null}
            error={preview.error ? preview.error.message : null}
            compact
          />
          {!gate.ok && rules != null && !preview.slow && (preview.isError || preview.data?.size === 0) && (
            <p className="form-error" role="status">
              {gate.reason}
            </p>
          )}
        </aside>
      </div>

      <dialog ref={dialog} className="dialog" aria-labelledby="confirm-title">
        <h2 id="confirm-title">
          {when === 'later' ? 'Schedule for ' : 'Send to '}
          <span data-testid="launch-size">{formatCount(size)}</span> customers?
        </h2>
        {email && (
          <p data-testid="launch-email-note">
            By email: of these {formatCount(size)}, only those with an email address and email consent who have not
            unsubscribed get it. The campaign page shows how many that is.
          </p>
        )}
        <p className="muted">
          “{name.trim()}” {when === 'later' ? `goes out at ${formatDateTime(scheduleAt ? new Date(scheduleAt).toISOString() : null)}` : 'starts sending as soon as you confirm'}. Each message costs money and cannot be recalled.
        </p>
        {first && (
          <div className="bubble-row">
            <span className="bubble-to muted small">To {first.name || first.customer_id}</span>
            <span className="bubble">{renderTemplate(message, first)}</span>
          </div>
        )}
        {launch.error && (
          <p className="form-error" role="alert" data-testid="launch-error">
            Not launched: {launch.error.message} Your draft is kept; change it and try again.
          </p>
        )}
        <div className="actions">
          <button type="button" className="btn" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" className="btn btn-primary" onClick={() => {
              if (confirmed == null) return;
              if (when === 'later' && scheduleProblem(scheduleAt) != null) {
                dialog.current?.close(); // the time passed while the dialog was open
                return;
              }
              launch.mutate(confirmed);
            }}
            disabled={launch.isPending || confirmed == null}
          >
            {launch.isPending ? 'Sending…' : when === 'later' ? 'Schedule' : `Send to ${formatCount(size)}`}
          </button>
        </div>
      </dialog>
    </form>
  );
}

/** Date.now(), refreshed every `ms`. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
