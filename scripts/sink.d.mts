export interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}
export interface MailboxConfig {
  secret?: string;
  script?: Scripted[];
  otherwise?: Scripted;
}
export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  verified: boolean | null;
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
