// Cell formatters for dash-ag-grid, referenced by name from the column definitions.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// R$ amounts with thousands separators and two decimals.
dagfuncs.money = function (value) {
  if (value === null || value === undefined) { return ""; }
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
};

// Counts with thousands separators.
dagfuncs.count = function (value) {
  if (value === null || value === undefined) { return ""; }
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 0 });
};

// Shares as percentages with one decimal; review scores with two; days with one. A value that is
// null has no data; one that is absent is not shown (a totals row leaves out what does not add up).
dagfuncs.pct = function (value) {
  if (value === undefined) { return ""; }
  if (value === null) { return "no data"; }
  return (Number(value) * 100).toFixed(1) + "%";
};
dagfuncs.score = function (value) {
  if (value === undefined) { return ""; }
  if (value === null) { return "no data"; }
  return Number(value).toFixed(2);
};
dagfuncs.days = function (value) {
  if (value === undefined) { return ""; }
  if (value === null) { return "no data"; }
  return Number(value).toFixed(1);
};

// Changes with their sign: +12.3% (growth), +1,234 (a deviation), +5.2 (robust deviations).
dagfuncs.signedPct = function (value) {
  if (value === null || value === undefined) { return "no data"; }
  return (value > 0 ? "+" : "") + (Number(value) * 100).toFixed(1) + "%";
};
dagfuncs.signedCount = function (value) {
  if (value === null || value === undefined) { return ""; }
  return (value > 0 ? "+" : "") + Number(value).toLocaleString("en-US", { maximumFractionDigits: 0 });
};
dagfuncs.signed1 = function (value) {
  if (value === null || value === undefined) { return ""; }
  return (value > 0 ? "+" : "") + Number(value).toFixed(1);
};

// A share (0 to 1) as a data bar behind its value: rates compare down a column at a glance.
// An order id's first 8 characters (the full id is in the cell's tooltip and in the export): a uuid
// column was most of a table's width and pushed its numbers off the card.
dagfuncs.shortId = function (value) {
    return value ? String(value).slice(0, 8) + "…" : "";
};

dagfuncs.shareBar = function (params) {
  var v = Number(params.value);
  if (params.value === null || params.value === undefined || isNaN(v)) { return null; }
  var p = Math.max(0, Math.min(1, v)) * 100;
  return { background: "linear-gradient(90deg, rgba(13, 110, 253, .18) " + p + "%, transparent " + p + "%)" };
};

// The totals row: bold, on the grid's own background.
dagfuncs.totalRowStyle = function (params) {
  return params.node.rowPinned ? { fontWeight: 600 } : null;
};

// A moment's time of day: a timestamp with a zone (when a batch became visible) in the browser's own
// zone; the data's timestamps, which carry none (local Brazilian time), as they are written.
dagfuncs.clock = function (value) {
  if (!value) { return ""; }
  var text = String(value);
  if (/[zZ]|[+-]\d\d:?\d\d$/.test(text)) {
    return new Date(text).toLocaleTimeString([], { hour12: false });
  }
  return text.length >= 19 ? text.slice(11, 19) : text;
};

// Seconds with one decimal (a lag).
dagfuncs.seconds = function (value) {
  if (value === null || value === undefined) { return ""; }
  return Number(value).toFixed(1);
};
