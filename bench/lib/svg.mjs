// Hand-written SVG bar charts: one horizontal bar per row, the value printed beside it, the
// isocache bars in another colour. No chart library.

const escapeXml = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/**
 * A horizontal bar chart. `bars`: [{ label, value, text?, highlight?, missing? }]; `log`: log scale
 * (for values spanning orders of magnitude); `unit` is printed in the subtitle.
 */
export function barChart({ title, subtitle = "", bars, log = false }) {
  const width = 760;
  const labelWidth = 250;
  const valueWidth = 110;
  const rowHeight = 24;
  const top = subtitle ? 58 : 40;
  const height = top + bars.length * rowHeight + 16;
  const plot = width - labelWidth - valueWidth - 20;
  const finite = bars.filter((bar) => Number.isFinite(bar.value) && bar.value > 0).map((bar) => bar.value);
  const max = Math.max(...finite, 1e-9);
  const min = Math.min(...finite, max);
  const lowLog = Math.log10(min) - 0.3;
  const scale = (value) => {
    if (!Number.isFinite(value) || value <= 0) return 0;
    if (!log) return (value / max) * plot;
    const span = Math.log10(max) - lowLog || 1;
    return Math.max(2, ((Math.log10(value) - lowLog) / span) * plot);
  };
  const rows = bars.map((bar, index) => {
    const y = top + index * rowHeight;
    const w = scale(bar.value);
    const fill = bar.missing ? "#bbbbbb" : bar.highlight ? "#d9480f" : "#4c6ef5";
    const text = bar.text ?? String(bar.value);
    return [
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${fill}" rx="2"/>`,
      `<text x="${labelWidth + w + 6}" y="${y + 16}">${escapeXml(text)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    subtitle
      ? `<text x="12" y="44" fill="#555555">${escapeXml(subtitle)}${log ? " (log scale)" : ""}</text>`
      : "",
    ...rows,
    "</svg>",
    "",
  ].join("\n");
}
