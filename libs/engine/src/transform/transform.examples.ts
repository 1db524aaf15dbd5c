import { ENTERPRISE_USER_URN } from '@hub/scim';
import type { TransformRule } from '../rules/rule.types';

/**
 * Transforms an admin can start from; each is exercised by transform.examples.spec.ts. The
 * expressions are JSONata restricted to the transform sandbox (no function definitions, no
 * regexes; the functions in TRANSFORM_FUNCTIONS).
 */
export const TRANSFORM_EXAMPLES = {
  /** `Zoë O'Brien-Smith` → `zoe.obrien-smith@example.com`: ASCII-folded, lower-cased, only `a-z0-9.-` kept. */
  userNameFromTemplate: {
    path: 'userName',
    expression: `$exists(name.givenName) and $exists(name.familyName)
  ? $keepChars($lowercase($asciiFold(name.givenName & "." & name.familyName)), $config.allowed) & "@" & $config.domain
  : $error("userName needs name.givenName and name.familyName")`,
    config: { domain: 'example.com', allowed: 'abcdefghijklmnopqrstuvwxyz0123456789.-' },
  },

  /** Given, middle and family name joined by single spaces; missing parts are skipped. */
  displayNameFromParts: {
    path: 'displayName',
    expression: '$join([name.givenName, name.middleName, name.familyName], " ")',
    mode: 'fillMissing',
  },

  /**
   * E.164 for each mobile number, deliberately simple: `(0)` dropped, digits kept; a leading `+`
   * or `00` carries the country code, a leading `0` is the trunk prefix of `defaultCountryCode`,
   * anything else is a national number of that country. 8 to 15 digits, else the value is refused
   * (and left unset). Not a numbering-plan validator.
   */
  e164Mobile: {
    path: 'phoneNumbers[type eq "mobile"].value',
    expression: `(
  $raw := $replace($trim($value), "(0)", "");
  $d := $digits($raw);
  $e := $startsWith($raw, "+") ? $d
    : $startsWith($d, "00") ? $substring($d, 2)
    : $startsWith($d, "0") ? $config.defaultCountryCode & $substring($d, 1)
    : $config.defaultCountryCode & $d;
  $length($e) >= 8 and $length($e) <= 15 ? "+" & $e : $error("not a phone number: " & $value)
)`,
    config: { defaultCountryCode: '44' },
  },

  /** HR sends a department code; the golden record carries its name from a lookup table. */
  departmentName: {
    path: `${ENTERPRISE_USER_URN}:department`,
    expression: `$exists($value)
  ? ($name := $lookup($config.departments, $value); $exists($name) ? $name : $error("unknown department code " & $value))`,
    config: { departments: { D100: 'Sales', D200: 'Engineering', D300: 'Delivery' } },
  },
} as const satisfies Record<string, TransformRule>;
