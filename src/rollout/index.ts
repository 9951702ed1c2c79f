/** The pure rollout core the bot and the CLI share: parse, authorize, plan, edit, record, reply. */
export * from "./command.js";
export * from "./commit-message.js";
export * from "./conflicts.js";
export * from "./eval-gates.js";
export * from "./history.js";
export * from "./late-reply.js";
export * from "./permissions.js";
export * from "./pins.js";
export * from "./plan.js";
export * from "./reply.js";
export * from "./signal.js";
export * from "./status.js";
export * from "./undo.js";
export * from "./yaml-edit.js";
