export { renderHtml } from "./html.js";
export { mergeReports, parseReportJson, toJson } from "./json.js";
export {
  COMMENT_LIMIT,
  COMMENT_MARKER,
  type MarkdownOptions,
  renderComment,
  renderPendingComment,
  renderSummary,
  SUMMARY_LIMIT_BYTES,
} from "./markdown.js";
export * from "./model.js";
export { reportSchema } from "./schema.js";
