/** The event as Syndic stores it and, without a transform, pushes it: a CloudEvent 1.0 in structured JSON. */
export interface CloudEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype?: string;
  data?: unknown;
  [extension: string]: unknown;
}
