/**
 * The one form in which usernames are compared: RFC 8265's UsernameCaseMapped profile (PRECIS,
 * §3.3.2) as far as it maps — fullwidth and halfwidth forms to their ordinary characters (the
 * width-mapping rule), `toLowerCase()` (the case-mapping rule), then Unicode NFC — so that
 * `Alice`, `alice`, `ＡＬＩＣＥ` and an NFD `josé` are one account for logins, lookups, creation
 * and the throttle. Stored usernames keep the spelling they were created with; only the
 * comparison uses this form. Does NOT check which characters a username may hold (manage/users.ts).
 * @see RFC 8265 §3.3
 */
export function canonicalUsername(username: string): string {
  // U+FF01–U+FFEE: the Halfwidth and Fullwidth Forms block, whose compatibility mappings are <wide>/<narrow>.
  const widthMapped = username.replace(/[\uFF01-\uFFEE]/g, (char) => char.normalize('NFKC'));
  return widthMapped.toLowerCase().normalize('NFC');
}
