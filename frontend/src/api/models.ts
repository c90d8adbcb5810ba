/**
 * Response shapes the dashboard reads: names for the generated schema types
 * (./<service>.ts, from the services' OpenAPI documents), so a change in an API is a type
 * error here rather than a blank on screen. Nothing here is written by hand twice.
 */
import type { components as CampaignComponents } from './campaigns';
import type { components as DeliveryComponents } from './delivery';
import type { components as IngestComponents, operations as IngestOperations } from './ingest';
import type { components as SegmentComponents } from './segments';
import type { components as StatsComponents } from './stats';

type CampaignSchemas = CampaignComponents['schemas'];
type DeliverySchemas = DeliveryComponents['schemas'];
type IngestSchemas = IngestComponents['schemas'];
type SegmentSchemas = SegmentComponents['schemas'];
type StatsSchemas = StatsComponents['schemas'];

/** Every list's answer: a page of items and the cursor of the next (null on the last). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type Campaign = CampaignSchemas['CampaignOut'];
export type CampaignStatus = Campaign['status'];
/** Audience rules as the APIs answer them (react-querybuilder's JSON, canonical). */
export type RuleGroupJson = CampaignSchemas['RuleGroupJson-Output'];
export type RuleJson = CampaignSchemas['RuleJson'];

/** A campaign's counters as the stats API and its WebSocket send them. */
export type CampaignStatsOut = StatsSchemas['CampaignStats'];
type CountKeys = 'campaign_id' | 'audience_size' | 'sent' | 'failed';
/**
 * The counters the dashboard shows: the stats API's, or made from the campaign record
 * until those arrive (then the stats-only fields are absent and `updated_at` is null).
 */
export type CampaignStats = Pick<CampaignStatsOut, CountKeys> &
  Partial<Omit<CampaignStatsOut, CountKeys | 'pending' | 'updated_at'>> & {
    pending: number | null;
    updated_at: string | null;
  };
export type SeriesPoint = StatsSchemas['SeriesPoint'];
export type Series = StatsSchemas['Series'];
export type Overview = StatsSchemas['Overview'];

export type Segment = SegmentSchemas['SegmentOut'];
export type Preview = SegmentSchemas['Preview'];
export type FieldOperator = SegmentSchemas['OperatorOut'];
export type FieldDescription = SegmentSchemas['FieldOut'];
export type FieldsResponse = SegmentSchemas['FieldCatalogue'];
export type Profile = SegmentSchemas['Profile'];

export type Communication = DeliverySchemas['Communication'];
export type CommunicationStatus = Communication['status'];

/** A customer as listed, or as read alone with the other ids this person was known by
 * (merged records: one person per email). */
export type Customer = IngestSchemas['CustomerOut'] & Partial<Pick<IngestSchemas['CustomerDetail'], 'aliases'>>;
export type Order = IngestSchemas['OrderOut'];
export type OrderStatus = Order['status'];
export type LineItem = IngestSchemas['LineItemOut'];

// --- Imports (ingest: /api/v1/imports) -------------------------------------------------

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

export type User = CampaignSchemas['User'];
export type Person = CampaignSchemas['UserOut']; // someone who signs in, as admins see them (/people)
export type Session = CampaignSchemas['Session'];
export type AuthConfig = CampaignSchemas['AuthConfig'];

/** One problem of a 422: `field` is its path, e.g. "body.items[3].email", "body.rules.rules[1].value". */
export type ProblemItem = CampaignSchemas['ErrorItem'];
/** What every service answers for every 4xx and 5xx (shared/errors.py's ErrorBody). */
export type ErrorBody = CampaignSchemas['ErrorBody'];
export type Suppression = SegmentSchemas['Suppression'];
export type SuppressionChannel = Suppression['channel'];
