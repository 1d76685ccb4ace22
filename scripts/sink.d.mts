export interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  /** "{n}" is replaced by the request's number in its mailbox (1, 2, …), e.g. to hand out new record ids. */
  body?: string;
  /** Answer only after this many milliseconds (the request is recorded on arrival): a slow destination. */
  delayMs?: number;
}
export interface MailboxConfig {
  secret?: string;
  script?: Scripted[];
  otherwise?: Scripted;
  /** Headers every request must carry (names case-insensitive, values exact); recorded as `authorized`. */
  expectHeaders?: Record<string, string>;
  /** Act as an OAuth 2 token endpoint: each unscripted request gets a new numbered token `<mailbox>-<n>`. */
  issueTokens?: { expiresIn?: number };
  /** Answer 401 (unless scripted) when the bearer token was not issued by this mailbox or has expired; see `authorized`. */
  acceptTokensFrom?: string;
}
export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body's length in bytes and its lowercase hex SHA-256, as received (for binary uploads). */
  size: number;
  sha256: string;
  verified: boolean | null;
  /** Whether every `expectHeaders` entry matched; null when none are configured. */
  authorized: boolean | null;
  answered: number;
}
export interface Sink {
  url: string;
  hook(name: string): string;
  requests(name: string): RecordedRequest[];
  configure(name: string, config: MailboxConfig): void;
  close(): Promise<void>;
}
export function startSink(options?: { port?: number; host?: string }): Promise<Sink>;
