// The ceiling: what the same local runtime does per request with no framework, no auth and no queue, so each Syndic
// figure can be read as a fraction of it. Bodies are stored as sent (~1 KB each).

interface Env {
  DB: D1Database;
}

/** D1 allows 100 bound parameters per statement: 3 columns → 33 rows per multi-row INSERT. */
const ROWS_PER_STATEMENT = 33;
const BATCH_ROWS = 100;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function rowId(): string {
  return crypto.randomUUID();
}

async function insertOne(env: Env, request: Request): Promise<Response> {
  const body = await request.text();
  await env.DB.prepare("INSERT INTO rows (id, received_at, body) VALUES (?, ?, ?)")
    .bind(rowId(), Date.now(), body || "{}")
    .run();
  return json({ accepted: 1 }, 202);
}

/** 100 rows in one DB.batch() (one transaction), as multi-row INSERTs: the rows come from the body's array, else filler. */
async function insertBatch(env: Env, request: Request): Promise<Response> {
  const text = await request.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  const bodies = Array.isArray(parsed)
    ? parsed.map((row) => JSON.stringify(row))
    : Array.from({ length: BATCH_ROWS }, (_, i) => JSON.stringify({ n: i }));
  const now = Date.now();
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < bodies.length; i += ROWS_PER_STATEMENT) {
    const group = bodies.slice(i, i + ROWS_PER_STATEMENT);
    statements.push(
      env.DB.prepare(`INSERT INTO rows (id, received_at, body) VALUES ${group.map(() => "(?, ?, ?)").join(", ")}`).bind(
        ...group.flatMap((body) => [rowId(), now, body]),
      ),
    );
  }
  await env.DB.batch(statements);
  return json({ accepted: bodies.length }, 202);
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/hello") return new Response("hello");
    if (request.method === "POST" && pathname === "/d1-one") return insertOne(env, request);
    if (request.method === "POST" && pathname === "/d1-batch") return insertBatch(env, request);
    if (request.method === "GET" && pathname === "/count") {
      const row = await env.DB.prepare("SELECT count(*) AS n FROM rows").first<{ n: number }>();
      return json({ rows: row?.n ?? 0 });
    }
    return json({ error: "not found" }, 404);
  },
} satisfies ExportedHandler<Env>;
