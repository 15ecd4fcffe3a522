/** A small hand-written SVG: one panel per workload, one horizontal bar per contender, log scale. */

export interface ChartPanel {
  title: string;
  bars: ({ label: string; ratio: number } | { label: string; text: string })[];
}

const ROW = 18;
const LABEL_WIDTH = 190;
const PANEL_WIDTH = 200;
const GAP = 16;
const TOP = 58;

export function ratioChart(panels: readonly ChartPanel[], title: string): string {
  const labels = panels[0]?.bars.map((b) => b.label) ?? [];
  const ratios = panels.flatMap((p) => p.bars.flatMap((b) => ("ratio" in b ? [b.ratio] : [])));
  const lo = Math.min(0.5, ...ratios.map((r) => r * 0.9));
  const hi = Math.max(2, ...ratios.map((r) => r * 1.1));
  const logLo = Math.log10(lo);
  const span = Math.log10(hi) - logLo;
  const x = (ratio: number) => ((Math.log10(ratio) - logLo) / span) * PANEL_WIDTH;
  const ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500].filter((t) => t >= lo && t <= hi);
  const width = LABEL_WIDTH + panels.length * (PANEL_WIDTH + GAP) + 10;
  const height = TOP + labels.length * ROW + 30;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
  );
  labels.forEach((label, i) => {
    parts.push(`<text x="${LABEL_WIDTH - 6}" y="${TOP + i * ROW + 13}" text-anchor="end">${escape(label)}</text>`);
  });
  panels.forEach((panel, p) => {
    const left = LABEL_WIDTH + p * (PANEL_WIDTH + GAP);
    parts.push(`<g transform="translate(${left},0)">`);
    parts.push(`<text x="${PANEL_WIDTH / 2}" y="${TOP - 22}" text-anchor="middle" font-weight="bold">${escape(panel.title)}</text>`);
    for (const t of ticks) {
      const tx = x(t).toFixed(1);
      parts.push(
        `<line x1="${tx}" x2="${tx}" y1="${TOP - 4}" y2="${TOP + labels.length * ROW}" stroke="${t === 1 ? "#333" : "#ddd"}"/>`,
        `<text x="${tx}" y="${TOP - 7}" text-anchor="middle" fill="#666" font-size="9">${t}×</text>`,
      );
    }
    panel.bars.forEach((bar, i) => {
      const y = TOP + i * ROW + 3;
      if ("ratio" in bar) {
        const start = x(Math.min(1, bar.ratio));
        const end = x(Math.max(1, bar.ratio));
        const fill = bar.ratio <= 1 ? "#4c9f70" : bar.ratio < 3 ? "#e0a030" : "#d0503c";
        parts.push(
          `<rect x="${start.toFixed(1)}" y="${y}" width="${Math.max(1, end - start).toFixed(1)}" height="${ROW - 6}" fill="${fill}"><title>${escape(`${bar.label}: ${bar.ratio.toFixed(2)}×`)}</title></rect>`,
          `<text x="${(end + 3).toFixed(1)}" y="${y + 10}" font-size="9" fill="#333">${bar.ratio.toFixed(bar.ratio >= 10 ? 0 : 1)}×</text>`,
        );
      } else {
        parts.push(`<text x="${x(1) + 4}" y="${y + 10}" font-size="9" fill="#b00">${escape(bar.text)}</text>`);
      }
    });
    parts.push("</g>");
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
