/**
 * Response shapes the dashboard reads. The services declare their responses as plain
 * JSON objects, so the generated types (./<service>.ts) cover paths, parameters and
 * request bodies; these name the fields each response carries (ARCHITECTURE.md).
 */
import type { components as IngestComponents, operations as IngestOperations } from './ingest';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type CampaignStatus =
  | 'scheduled'
  | 'launching'
  | 'sending'
  | 'paused'
  | 'completed'
  | 'cancelled'
  | 'failed';

export interface RuleGroupJson {
  combinator: string;
  not?: boolean;
  rules: (RuleGroupJson | RuleJson)[];
}

export interface RuleJson {
  field: string;
  operator: string;
  value?: unknown;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  reason: string | null;
  message: string;
  rules: RuleGroupJson | null;
  segment_id: string | null;
  schedule_at: string | null;
  audience_size: number | null;
  sent: number;
  failed: number;
  pending: number | null;
  /** Messages that will never be sent: the campaign was cancelled before they went. */
  cancelled?: number;
  created_at: string;
  launched_at: string | null;
  completed_at: string | null;
  cancelled_at?: string | null;
}

export interface CampaignStats {
  campaign_id: string;
  audience_size: number | null;
  pending: number | null;
  sent: number;
  failed: number;
  cancelled?: number;
  updated_at: string | null;
  first_update_at?: string | null;
  revision?: number;
}

export interface SeriesPoint {
  at: string;
  sent: number;
  failed: number;
}

export interface Series {
  campaign_id: string;
  bucket_seconds: number;
  items: SeriesPoint[];
  next_cursor: string | null;
}

export interface Segment {
  id: number | string;
  name: string;
  rules: RuleGroupJson;
  created_at: string;
  updated_at: string;
}

export interface Preview {
  size: number;
  sample: { customer_id: string; name: string | null }[];
  took_ms: number;
  source?: string;
}

export interface FieldOperator {
  name: string;
  label: string;
  arity: 'unary' | 'binary' | 'ternary';
}

export interface FieldDescription {
  name: string;
  label: string;
  type: 'number' | 'integer' | 'date' | 'text';
  inputType: string;
  nullable: boolean;
  operators: FieldOperator[];
}

export interface FieldsResponse {
  fields: FieldDescription[];
  limits: Record<string, number>;
}

export type CommunicationStatus = 'PENDING' | 'SENT' | 'FAILED' | 'HELD_OUT' | 'SKIPPED' | 'CANCELLED' | string;

export interface Communication {
  message_id: string;
  campaign_id: string;
  customer_id: string;
  message: string;
  status: CommunicationStatus;
  reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface Customer {
  customer_id: string;
  name: string;
  email: string | null;
  phone: string | null;
  city: string | null;
  created_at: string | null;
  updated_at?: string | null;
  /** Other ids this person was known by (merged records: one person per email). */
  aliases?: string[];
  accepts_email_marketing?: boolean | null;
  accepts_email_marketing_at?: string | null;
  accepts_email_marketing_source?: string | null;
  accepts_sms_marketing?: boolean | null;
  accepts_sms_marketing_at?: string | null;
  accepts_sms_marketing_source?: string | null;
  accepts_whatsapp_marketing?: boolean | null;
  accepts_whatsapp_marketing_at?: string | null;
  accepts_whatsapp_marketing_source?: string | null;
}

export type OrderStatus =
  | 'paid'
  | 'pending'
  | 'partially_refunded'
  | 'refunded'
  | 'cancelled'
  | 'voided'
  | 'failed';

export interface LineItem {
  name: string;
  sku?: string | null;
  quantity?: number;
  price?: string | number | null;
}

export interface Order {
  order_id: string;
  customer_id: string;
  customer_email?: string | null;
  amount: string | number;
  /** Absent on orders stored before statuses existed: those are paid. */
  status?: OrderStatus;
  refunded_amount?: string | number | null;
  currency?: string | null;
  line_items?: LineItem[] | null;
  ordered_at: string;
  updated_at?: string | null;
}

// --- Imports (ingest: /api/v1/imports) -------------------------------------------------
// These routes declare their answers, so their shapes are the generated ones: a change in
// the API is a type error here rather than a blank on screen.

type IngestSchemas = IngestComponents['schemas'];

/** An import and what became of its rows, as the ingest worker applied them. */
export type Import = IngestSchemas['ImportOut'];
export type ImportCounts = IngestSchemas['ImportCounts'];
export type ImportUndo = IngestSchemas['ImportUndo'];
export type ImportKind = Import['kind'];
export type ImportSource = Import['source'];
export type ImportStatus = Import['status'];
/** A problem or warning on one record: where it starts in the file and what it is. */
export type LineNote = IngestSchemas['RowProblem'];
/** One record as read: the API item Beacon would send (null when refused), and why not. */
export type PreviewRecord = IngestSchemas['PreviewRecord'];
/** What POST /api/v1/imports/upload answers: the dry run, or also the import it made. */
export type UploadResult = IngestSchemas['UploadOut'];
/** The upload's query parameters. */
export type UploadQuery = IngestOperations['upload_file_api_v1_imports_upload_post']['parameters']['query'];

export interface Profile {
  customer_id: string;
  total_spend: string | number;
  visits: number;
  first_visit_at: string | null;
  last_visit_at: string | null;
}

export interface User {
  sub: string;
  email: string;
  name: string;
  picture: string | null;
  roles: string[];
}

export interface Session {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
  user: User;
}

export interface AuthConfig {
  google_client_id: string | null;
  dev_sign_in: boolean;
}

/** One problem of a 422: `field` is its path, e.g. "body.items[3].email", "body.rules.rules[1].value". */
export interface ProblemItem {
  field: string;
  message: string;
  type?: string;
}

/** What every service answers for every 4xx and 5xx (shared/errors.py's ErrorBody). */
export interface ErrorBody {
  /** FastAPI's list of problems for a 422 (the contract's shape), else the sentence. */
  detail: string | { loc: (string | number)[]; msg: string; type: string }[];
  /** What went wrong, in one sentence. */
  message: string;
  code: string;
  correlation_id: string | null;
  errors: ProblemItem[];
}
