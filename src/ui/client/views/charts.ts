/** The overview's SVG charts, drawn with createElementNS: every label a text node. */
import { h, svg } from "../dom";
import { duration, slotLabel, sum } from "../format";
import { card } from "../widgets";

export interface BarSeries {
  name: string;
  values: number[];
  /** Its colour class (fill set in styles.ts). */
  cls: string;
}

const W = 720;
const H = 160;
const PAD_B = 20;

/** Stacked bars, one per slot: each series a colour class, the tallest slot labelled. */
export function barChart(
  title: string,
  slots: string[],
  range: string,
  series: BarSeries[],
  note?: string,
): HTMLElement {
  const PAD_L = 36;
  const n = slots.length || 1;
  const totals = slots.map((_, i) => sum(series.map((s) => s.values[i])));
  const max = Math.max(1, ...totals);
  const bw = (W - PAD_L) / n;
  const bars: SVGElement[] = [];
  slots.forEach((slot, i) => {
    let y = H - PAD_B;
    for (const s of series) {
      const v = s.values[i] || 0;
      if (!v) continue;
      const bh = (v / max) * (H - PAD_B - 8);
      y -= bh;
      bars.push(
        svg(
          "rect",
          {
            x: (PAD_L + i * bw + 1).toFixed(1),
            y: y.toFixed(1),
            width: Math.max(1, bw - 2).toFixed(1),
            height: bh.toFixed(1),
            class: `bar ${s.cls}`,
          },
          svg("title", null, `${slotLabel(slot, range)} · ${s.name}: ${v.toLocaleString()}`),
        ),
      );
    }
  });
  const every = Math.ceil(n / 8);
  const labels = slots.map((slot, i) =>
    i % every
      ? null
      : svg(
          "text",
          { x: (PAD_L + i * bw + bw / 2).toFixed(1), y: H - 5, class: "axis", "text-anchor": "middle" },
          slotLabel(slot, range),
        ),
  );
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title },
    svg("line", { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: "grid" }),
    svg("line", { x1: PAD_L, x2: W, y1: 8, y2: 8, class: "grid" }),
    svg("text", { x: PAD_L - 4, y: 12, class: "axis", "text-anchor": "end" }, max.toLocaleString()),
    svg("text", { x: PAD_L - 4, y: H - PAD_B, class: "axis", "text-anchor": "end" }, "0"),
    bars,
    labels,
  );
  const legend = h(
    "div",
    { class: "legend" },
    series.map((s) =>
      h("span", null, h("span", { class: `swatch ${s.cls}` }), `${s.name} ${sum(s.values).toLocaleString()}`),
    ),
    note ? h("span", { class: "sub" }, note) : null,
  );
  return card(title, h("div", { class: "card-body" }, chart, legend));
}

/** p50 and p99 as two lines over the slots; gaps where nothing was attempted. */
export function latencyChart(
  slots: string[],
  range: string,
  latency: { p50: Array<number | null>; p99: Array<number | null> },
): HTMLElement {
  const PAD_L = 48;
  const n = slots.length || 1;
  const all = [...latency.p50, ...latency.p99].filter((v): v is number => v != null);
  const max = Math.max(10, ...all);
  const x = (i: number) => PAD_L + ((i + 0.5) * (W - PAD_L)) / n;
  const y = (v: number) => H - PAD_B - (v / max) * (H - PAD_B - 8);
  const line = (values: Array<number | null>, cls: string) => {
    let d = "";
    values.forEach((v, i) => {
      if (v != null) d += `${(d && values[i - 1] != null ? "L" : "M") + x(i).toFixed(1)} ${y(v).toFixed(1)}`;
    });
    return svg("path", { d: d || "M0 0", class: `line ${cls}` });
  };
  const dots = (values: Array<number | null>, cls: string) =>
    values.map((v, i) =>
      v == null
        ? null
        : svg(
            "circle",
            { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 2.5, class: `dot ${cls}` },
            svg("title", null, `${slotLabel(slots[i], range)}: ${duration(v)}`),
          ),
    );
  const every = Math.ceil(n / 8);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": "Delivery latency" },
    svg("line", { x1: PAD_L, x2: W, y1: H - PAD_B, y2: H - PAD_B, class: "grid" }),
    svg("line", { x1: PAD_L, x2: W, y1: 8, y2: 8, class: "grid" }),
    svg("text", { x: PAD_L - 4, y: 12, class: "axis", "text-anchor": "end" }, duration(max)),
    svg("text", { x: PAD_L - 4, y: H - PAD_B, class: "axis", "text-anchor": "end" }, "0"),
    line(latency.p99, "s-p99"),
    line(latency.p50, "s-p50"),
    dots(latency.p99, "s-p99"),
    dots(latency.p50, "s-p50"),
    slots.map((slot, i) =>
      i % every
        ? null
        : svg("text", { x: x(i).toFixed(1), y: H - 5, class: "axis", "text-anchor": "middle" }, slotLabel(slot, range)),
    ),
  );
  const legend = h(
    "div",
    { class: "legend" },
    h("span", null, h("span", { class: "swatch s-p50" }), "p50"),
    h("span", null, h("span", { class: "swatch s-p99" }), "p99"),
    h("span", { class: "sub" }, "upper bound of a histogram bucket: never below the true value, at most 1.5× above"),
  );
  return card("Delivery latency", h("div", { class: "card-body" }, chart, legend));
}
