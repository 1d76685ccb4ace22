declare module "cloudflare:test" {
  interface D1Migration {
    name: string;
    queries: string[];
  }
}
type D1Migration = import("cloudflare:test").D1Migration;
