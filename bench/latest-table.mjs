// Prints bench/results/latest.json as the Markdown of bench/README.md's "Latest figures" section:
// `node bench/latest-table.mjs [results.json]`.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const path = process.argv[2] ?? join(import.meta.dirname, "results", "latest.json");
const report = JSON.parse(readFileSync(path, "utf8"));

const fmt = (value, digits = 0) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "—"
    : Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cell = (text) => String(text ?? "").replaceAll("|", "\\|");

const loads = report.machine?.loadSamples ?? [];
const peak = loads.length ? Math.max(...loads.map((sample) => sample.loadavg[0])) : null;
const minutes = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 60_000;

const lines = [];
lines.push(
  `Run ${report.startedAt.slice(0, 16).replace("T", " ")} UTC (${fmt(minutes, 0)} min), \`${report.command}\`, ${report.git?.tree ? `code: the tree ${report.git.tree} (checkout at ${report.git.head})` : `code ${report.git?.head ?? "?"} + ${report.git?.dirtyFiles ?? "?"} uncommitted file(s) under src/ and migrations/`}.`,
);
lines.push(
  `Machine: ${report.machine?.cores ?? "?"} cores; 1-minute load average ${fmt(loads[0]?.loadavg[0], 2)} at the start, peak ${fmt(peak, 2)}, ${fmt(loads[loads.length - 1]?.loadavg[0], 2)} at the end.`,
);
lines.push("");
lines.push("| figure | value | ceiling / peer (same run) | ratio | target | result |");
lines.push("| --- | --- | --- | ---: | --- | --- |");
for (const row of report.rows) {
  lines.push(
    `| ${cell(row.figure)} | ${cell(row.value)} | ${cell(row.ceiling)} | ${row.ratio === null ? "" : fmt(row.ratio, 2)} | ${cell(row.target)} | ${row.pass === null ? "" : row.pass ? "PASS" : "**MISS**"} |`,
  );
}

// What the queue consumers paid per 100 delivered events, queue by queue (from the relay's invocation lines), for
// the burst and the clean notify run: the stage that limits shows as the busiest consumer.
const meterRows = [];
for (const mode of report.modes ?? []) {
  for (const [label, meters] of [
    ["burst", mode.burst?.meters],
    ["notify", mode.notify?.clean?.meters],
  ]) {
    if (!meters?.all?.invocations) continue;
    for (const [queue, q] of [...Object.entries(meters.queues), ["all queues", meters.all]]) {
      meterRows.push(
        `| [${mode.mode}] ${label} | ${queue} | ${fmt(q.invocations)} | ${fmt(q.messages)} | ${fmt(q.busyShare * 100)}% | ${fmt(q.per100.d1Calls, 1)} | ${fmt(q.per100.queueOps, 1)} | ${fmt(q.per100.decrypts, 2)} |`,
      );
    }
  }
}
if (meterRows.length) {
  lines.push("");
  lines.push(
    "Queue consumers per 100 delivered events (the relay's invocation lines; the publish requests' own D1 calls are not in them):",
  );
  lines.push("");
  lines.push("| figure | queue | invocations | messages | busy | D1 calls | queue ops | decrypts |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  lines.push(...meterRows);
}
console.log(lines.join("\n"));
