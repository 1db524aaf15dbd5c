import {
  CompiledExpression,
  DEFAULT_TRANSFORM_LIMITS,
  prepareInput,
  TransformCompileError,
  type TransformLimits,
} from './transform.sandbox';

const run = (
  text: string,
  input: unknown = {},
  vars: Record<string, unknown> = {},
  limits?: TransformLimits,
) => new CompiledExpression(text, limits).evaluate(input, vars);

describe('transform sandbox', () => {
  it('evaluates against the record and the variables it is given', async () => {
    await expect(
      run(
        'name.givenName & " " & $config.suffix',
        { name: { givenName: 'Amy' } },
        { config: { suffix: 'Wong' } },
      ),
    ).resolves.toEqual({
      ok: true,
      value: 'Amy Wong',
    });
    await expect(
      run('phoneNumbers[type = "mobile"].value ~> $digits()', {
        phoneNumbers: [{ type: 'mobile', value: '+1 (555) 0142' }],
      }),
    ).resolves.toEqual({
      ok: true,
      value: '15550142',
    });
  });

  it.each([
    ['$eval("1 + 1")', 'position 6: $eval cannot be called in a transform'],
    ['$now()', '$now cannot be called in a transform'],
    ['$random()', '$random cannot be called in a transform'],
    ['$match(userName, /a+/)', '$match cannot be called in a transform'],
    ['$contains(userName, /a+/)', 'regular expressions are not allowed'],
    ['($f := function($x) { $f($x) }; $f(1))', 'function definitions are not allowed'],
    ['$substring(?, 1)', 'partial application is not allowed'],
    ['$ ~> |name|{"x": 1}|', 'the |…|…| transform operator is not allowed'],
    ['($e := $eval; $e("1"))', '$eval can only be called, not used as a value'],
    ['($lowercase := "x"; 1)', '$lowercase is reserved and cannot be assigned'],
    ['$process', 'unknown variable $process'],
    ['name.(', 'position'],
    ['', 'expression is empty'],
    ['"x" & '.repeat(2000) + '"x"', 'expression is longer than 4096 characters'],
  ])('refuses %s', (text, message) => {
    expect(() => new CompiledExpression(text)).toThrow(TransformCompileError);
    expect(() => new CompiledExpression(text)).toThrow(message);
  });

  it('a failing expression returns the reason', async () => {
    await expect(run('$error("no such department")')).resolves.toEqual({
      ok: false,
      reason: 'no such department',
    });
    await expect(run('$number("abc")')).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('is not a number'),
    });
    await expect(run('missing.path')).resolves.toEqual({
      ok: false,
      reason: 'the expression produced no value',
      empty: true,
    });
  });

  it('times out: the time budget is checked at every step', async () => {
    const limits: TransformLimits = { ...DEFAULT_TRANSFORM_LIMITS, timeoutMs: 20 };
    const input = { a: Array.from({ length: 300 }, (_, i) => ({ x: i })) };
    const started = Date.now();
    const r = await run('$count(a[$count(a[$count(a[x = 99999]) > 0]) > 0])', input, {}, limits);
    expect(r).toEqual({ ok: false, reason: 'timed out after 20 ms' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('bounds sizes: strings built, sequences, function results, output and input', async () => {
    const small: TransformLimits = {
      ...DEFAULT_TRANSFORM_LIMITS,
      maxStringLength: 100,
      maxOutputBytes: 50,
      maxInputBytes: 200,
    };
    // String doubling through variables: refused as soon as one string passes the bound.
    const doubling =
      '($a := "xxxxxxxxxx"; $b := $a & $a; $c := $b & $b; $d := $c & $c; $e := $d & $d; $e & $e)';
    await expect(run(doubling, {}, {}, small)).resolves.toMatchObject({
      ok: false,
      reason: expect.stringContaining('longer than 100'),
    });
    await expect(run('$pad("", 100000000)', {}, {}, small)).resolves.toMatchObject({
      ok: false,
      reason: '$pad: width is larger than 100',
    });
    await expect(run('[1..5000]', {}, {}, small)).resolves.toEqual({
      ok: false,
      reason: 'a sequence longer than 1000 was built',
    });
    await expect(run('$pad("", 80)', {}, {}, small)).resolves.toEqual({
      ok: false,
      reason: 'the result is larger than 50 bytes',
    });
    expect(prepareInput({ big: 'x'.repeat(300) }, small)).toEqual({
      ok: false,
      reason: 'the record is larger than 200 bytes of JSON',
    });
  });

  it('cannot reach prototypes or mutate its input', async () => {
    const input = { name: { givenName: 'Amy' } };
    await expect(run('$.constructor')).resolves.toMatchObject({ ok: false, empty: true });
    await expect(run('$lookup($config, "constructor")', {}, { config: {} })).resolves.toMatchObject({
      ok: false,
      empty: true,
    });
    await run('name.givenName & "x"', input);
    expect(input).toEqual({ name: { givenName: 'Amy' } });
  });
});
