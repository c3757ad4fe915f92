/**
 * The one log-level type: the levels of VS Code's LogOutputChannel, used by the engine's log
 * notifications, the webview's log command and every logger on the way.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}
