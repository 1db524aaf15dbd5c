/** Base of the errors the engine throws; apps map them to HTTP (a rule error is a 400). */
export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export interface RuleIssue {
  /** Where in the submitted rule set: `rules[2].path`, `defaultRule.sources[0]`, `transforms[1].expression`. */
  readonly at: string;
  readonly message: string;
}

/** A rule set that cannot be used; `issues` say exactly where and why. */
export class RuleValidationError extends EngineError {
  constructor(readonly issues: readonly RuleIssue[]) {
    super(issues.map((i) => `${i.at}: ${i.message}`).join('; '));
  }
}
