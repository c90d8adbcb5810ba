/**
 * Response shapes the dashboard reads. The services declare their responses as plain
 * JSON objects, so the generated types (./<service>.ts) cover paths, parameters and
 * request bodies; these name the fields each response carries (ARCHITECTURE.md).
 */

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type CampaignStatus = 'scheduled' | 'launching' | 'sending' | 'completed' | 'failed';

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
  created_at: string;
  launched_at: string | null;
  completed_at: string | null;
}

export interface CampaignStats {
  campaign_id: string;
  audience_size: number | null;
  pending: number | null;
  sent: number;
  failed: number;
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

export type CommunicationStatus = 'PENDING' | 'SENT' | 'FAILED' | 'HELD_OUT' | string;

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
}

export interface Order {
  order_id: string;
  customer_id: string;
  amount: string | number;
  ordered_at: string;
}

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
