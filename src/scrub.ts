/**
 * The one place that takes secrets out of text before it is written anywhere a reader other than
 * the process sees it: report.json, report.html, comment.md, summary.md, logs, stderr.
 *
 * An endpoint may echo the key in a 401 body; a base URL may carry `user:pass@` or `?api-key=…`
 * (Azure, LiteLLM proxies); and the pull request's own text can ask the endpoint to repeat what
 * it was sent. So every writer scrubs whatever it writes, whatever produced the text.
 */
export type Scrub = (text: string) => string;

export const REDACTED = "***";

/**
 * Shorter values are not searched for: a stand-in key like "test" would blank every "test" in a
 * report, and no real credential is that short.
 */
const MIN_SECRET_LENGTH = 8;

/*
 * A URL: scheme, optional userinfo, then the rest up to whitespace or a character that ends a
 * URL in JSON, HTML or Markdown. Userinfo is "anything without / ? # @ and spaces, then @".
 */
const URL_PATTERN =
  /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"'<>`]*@)?([^\s?#"'<>`)\]]*)(\?[^\s#"'<>`)\]]*)?/gi;
/** Bearer tokens and OpenAI-style keys, for secrets no one passed in (a judge's own key…). */
const TOKEN_PATTERNS = [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, /\bsk-[A-Za-z0-9_-]{16,}/g];

/**
 * A scrubber for `secrets` (the API key, a cache secret; undefined and short ones are skipped).
 * Each secret is also removed in its URL-encoded and JSON-escaped forms.
 */
export function createScrubber(secrets: readonly (string | undefined)[] = []): Scrub {
  const values = new Set<string>();
  for (const s of secrets) {
    if (s === undefined || s.length < MIN_SECRET_LENGTH) continue;
    values.add(s);
    values.add(encodeURIComponent(s));
    values.add(JSON.stringify(s).slice(1, -1));
  }
  // Longest first, so a secret that contains another is removed whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const v of ordered) out = out.split(v).join(REDACTED);
    out = out.replace(URL_PATTERN, (_m, scheme: string, rest: string, query?: string) => {
      const hadUserinfo = _m.length > scheme.length + rest.length + (query?.length ?? 0);
      return `${scheme}${hadUserinfo ? `${REDACTED}@` : ""}${rest}${query ? `?${REDACTED}` : ""}`;
    });
    for (const p of TOKEN_PATTERNS) {
      out = out.replace(p, (_m, prefix?: string) =>
        typeof prefix === "string" ? `${prefix}${REDACTED}` : REDACTED,
      );
    }
    return out;
  };
}

/** `scrubText(text, secrets)`: a one-off scrub. */
export function scrubText(text: string, secrets: readonly (string | undefined)[] = []): string {
  return createScrubber(secrets)(text);
}

/**
 * The password of a URL's userinfo, to add to a scrubber: the server may quote it back decoded,
 * where no URL pattern would catch it. (Not the user name or query values: "admin" or
 * "2024-02-01" would blank every other occurrence in a report.)
 */
export function secretsOfUrl(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? [password] : [];
  } catch {
    return [];
  }
}

/** A URL to show in a message: no userinfo, no query. */
export function redactUrl(url: string): string {
  return createScrubber()(url);
}
